"""Units of an order's lines going back on sale, or taken off it again. Each line is one
conditional UPDATE, in product order (two orders never lock rows in opposite orders)."""

from collections.abc import Iterable, Mapping

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrderItem, Product
from services.catalog_reads import listed, shown_category_ids


def _sorted(items: Iterable[OrderItem]) -> list[OrderItem]:
    return sorted((i for i in items if i.product_id is not None), key=lambda i: i.product_id or 0)


def _less_sold(quantity: int) -> ColumnElement[int]:
    """Units given back leave `Product.sold` (never below 0: orders placed before it was
    kept, and returned, must not push it under)."""
    return case((Product.sold > quantity, Product.sold - quantity), else_=0)


async def return_stock(
    session: AsyncSession, items: Iterable[OrderItem], units: Mapping[int, int] | None = None
) -> None:
    """The lines' units are on sale again: all of each line's, or `units[item.id]` of it
    (a partial refund). A line whose product was deleted: nothing."""
    for item in _sorted(items):
        quantity = item.quantity if units is None else units.get(item.id, 0)
        if quantity <= 0:
            continue
        await session.execute(
            update(Product)
            .where(Product.id == item.product_id)
            .values(stock=Product.stock + quantity, sold=_less_sold(quantity))
            .execution_options(synchronize_session=False)
        )


async def take_stock(session: AsyncSession, items: Iterable[OrderItem]) -> bool:
    """All the lines' units taken off sale again, or none (False): a late payment is
    honoured only when every unit is still there and still sold."""
    lines = list(items)
    if any(i.product_id is None for i in lines):
        return False
    # Still sold: their categories shown too. (A separate read: SQLite reports no row
    # count for an UPDATE that starts with the shown categories' WITH.)
    ids = {i.product_id for i in lines}
    shown = select(func.count(Product.id)).where(
        Product.id.in_(ids), Product.category_id.in_(shown_category_ids())
    )
    if await session.scalar(shown) != len(ids):
        return False
    taken: list[OrderItem] = []
    for item in _sorted(lines):
        result = await session.execute(
            update(Product)
            .where(
                Product.id == item.product_id,
                Product.stock >= item.quantity,
                listed(),
            )
            .values(stock=Product.stock - item.quantity, sold=Product.sold + item.quantity)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            await return_stock(session, taken)  # no SAVEPOINT: see db/sql.py
            return False
        taken.append(item)
    return True
