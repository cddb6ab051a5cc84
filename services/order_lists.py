"""The order lists (My orders, Orders with my products, All orders): a page of orders,
newest first, labelled n/N like every list, and what each order comes to for the one
who looks at it (a seller of some lines: those lines, as on the order card)."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models import Order, OrderItem, OrderStatus, User
from services import order_rules as rules
from services.paging import PageFlags, fit_page


@dataclass(frozen=True, slots=True)
class OrdersPage(PageFlags):
    items: list[Order]
    page: int  # the page shown: the last one for a page past the end
    pages: int
    amounts: dict[int, Decimal]  # order id: its total as the viewer's card shows it


async def order_page(
    session: AsyncSession,
    *,
    page: int,
    size: int,
    customer: User | None = None,
    seller: User | None = None,
    status: OrderStatus | None = None,
) -> OrdersPage:
    """Orders of `customer`, or with lines of `seller`, or of a `status`; a page past
    the end is the last one."""
    stmt = select(Order)
    if customer is not None:
        stmt = stmt.where(Order.user_id == customer.id)
    if seller is not None:
        stmt = stmt.where(
            exists().where(OrderItem.order_id == Order.id, OrderItem.seller_id == seller.id)
        )
    if status is not None:
        stmt = stmt.where(Order.status == status)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page, pages = fit_page(page, total, size)
    stmt = stmt.order_by(Order.id.desc()).offset((page - 1) * size).limit(size)
    if seller is not None:  # their lines' total, by the order card's rule
        stmt = stmt.options(selectinload(Order.items))
    orders = list(await session.scalars(stmt))
    amounts = {o.id: _amount(o, seller) for o in orders}
    return OrdersPage(orders, page, pages, amounts)


def _amount(order: Order, seller: User | None) -> Decimal:
    if seller is None:
        return order.total
    return rules.shown_amounts(order, rules.visible_items(seller, order))[0]
