"""What other features owe an order that gave its goods back (cancelled, expired,
refunded) or that staff moved: one call from `OrderService`, so the orders code names
none of them."""

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from models import Order, OrderItem, OrderStatus, Role, User
from services.audit import AuditService
from services.promo import PromoService
from services.restock import RestockService


async def status_moved(
    session: AsyncSession, actor: User, order: Order, before: OrderStatus
) -> None:
    """An admin's move of an order (shipped, delivered, cancelled) goes in the audit log."""
    if actor.role is Role.admin:
        await AuditService(session).record(
            actor,
            "order.status",
            "order",
            order.id,
            {"status": before.value},
            {"status": order.status.value},
        )


async def goods_returned(
    session: AsyncSession,
    order: Order,
    items: Iterable[OrderItem] | None = None,
    *,
    restocked: bool = True,
    whole: bool = True,
) -> None:
    """The order (`whole`) or some of its lines gave their goods back. Units back on sale
    (`restocked`) are owed to whoever waits for them (a back-in-stock message); a promo
    code use the whole order counted is given back (it was never really used)."""
    if restocked:
        lines = order.items if items is None else items
        await RestockService(session).stock_raised(i.product_id for i in lines if i.product_id)
    if whole:
        await PromoService(session).release(order)


async def goods_taken_again(session: AsyncSession, order: Order) -> None:
    """A cancelled order was paid after all (its units taken off sale again): the promo
    use it gave back counts again, since it was paid at the discounted price."""
    await PromoService(session).reclaim(order)
