"""What each line of an order was paid: its total less its part of the order's promo
discount. A code limited to a category discounts only that category's lines, so a
refund of another line gives back its full price, and of a covered line no more than
was paid for it (refunds, the books)."""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Order, OrderItem, Product
from services.validation import minor_unit


async def split_discount(session: AsyncSession, order: Order, covers: set[int] | None) -> None:
    """Hangs the order's discount on the lines the code covers (`covers`: their
    categories; None: every line), in proportion to their totals, to the currency's
    unit; the last takes what rounding leaves."""
    rows = await session.execute(
        select(OrderItem, Product.category_id)
        .outerjoin(Product, Product.id == OrderItem.product_id)
        .where(OrderItem.order_id == order.id)
        .order_by(OrderItem.id)
    )
    covered = [item for item, category in rows.all() if covers is None or category in covers]
    base = sum((item.line_total for item in covered), Decimal(0))
    if base:  # else nothing to hang it on: `paid_for` spreads it over every line
        step, left = minor_unit(order.currency), order.discount
        for item in covered[:-1]:
            part = (order.discount * item.line_total / base).quantize(step, ROUND_HALF_UP)
            item.discount = min(part, item.line_total, left)
            left -= item.discount
        covered[-1].discount = left
    await session.flush()


def paid_for(items: Iterable[OrderItem], order: Order) -> dict[int, Decimal]:
    """What the customer paid for each line, before rounding: its total less its part
    of the promo discount (a code limited to a category leaves the other lines whole).
    An order placed before revision 0014 holds no parts: its discount is spread over
    every line alike, as then."""
    items = list(items)
    if sum((i.discount for i in items), Decimal(0)) == order.discount:
        return {i.id: i.line_total - i.discount for i in items}
    full = order.total + order.discount
    return {i.id: i.line_total * order.total / full if full else i.line_total for i in items}
