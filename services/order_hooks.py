"""What other features owe an order that gave its goods back (cancelled, expired,
refunded): one call from `OrderService`, so the orders code names none of them."""

from sqlalchemy.ext.asyncio import AsyncSession

from models import Order
from services.promo import PromoService
from services.restock import RestockService


async def goods_returned(session: AsyncSession, order: Order) -> None:
    """The stock is back on sale: whoever waits for it is owed a back-in-stock message;
    a promo code use the order counted is given back (it was never really used)."""
    await RestockService(session).stock_raised(i.product_id for i in order.items if i.product_id)
    await PromoService(session).release(order)
