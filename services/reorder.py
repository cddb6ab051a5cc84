"""“Order again”: an order's lines back into the customer's cart, as much as is on sale."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import CartItem, Order, OrderItem, User
from services.cart import MAX_LINES
from services.catalog import CatalogService
from services.catalog_reads import MAX_ID
from services.errors import DomainError, NotFound
from services.order_rules import FINISHED
from services.orders import ORDER_NOT_FOUND
from services.texts import N_


@dataclass(slots=True)
class Reordered:
    added: int = 0  # lines now in the cart
    missing: list[str] = field(default_factory=list)  # names not (fully) available
    full: bool = False  # some lines did not fit: the cart holds MAX_LINES products


async def reorder(session: AsyncSession, customer: User, order_id: int) -> Reordered:
    """Each line of the customer's own order goes into the cart at today's price, up to
    the stock (a line already in the cart keeps the larger quantity). Hidden, deleted or
    sold-out products are named in `missing`; nothing else changes."""
    order = None
    if 0 < order_id <= MAX_ID:
        order = await session.scalar(select(Order).where(Order.id == order_id))
    if order is None or order.user_id != customer.id:
        raise NotFound(ORDER_NOT_FOUND)
    if order.status not in FINISHED:  # an old button of an order honoured since, say
        raise DomainError(N_("This order is still open: see it in My orders."))
    items = list(
        await session.scalars(
            select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.id)
        )
    )
    cart = {
        c.product_id: c
        for c in await session.scalars(select(CartItem).where(CartItem.user_id == customer.id))
    }
    catalog = CatalogService(session)
    result = Reordered()
    for item in items:
        product = None
        if item.product_id is not None:
            product = await catalog.visible_product(item.product_id)
        if product is None or product.stock <= 0:
            result.missing.append(item.name)
            continue
        if product.id not in cart and len(cart) >= MAX_LINES:
            result.full = True
            continue
        quantity = min(item.quantity, product.stock)
        if quantity < item.quantity:
            result.missing.append(item.name)
        line = cart.get(product.id)
        if line is None:
            line = cart[product.id] = CartItem(
                user_id=customer.id, product_id=product.id, quantity=quantity, price=product.price
            )
            session.add(line)
        else:
            line.quantity = min(max(line.quantity, quantity), product.stock)
            line.price = product.price
        result.added += 1
    await session.flush()
    return result
