from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import CartItem, Product, User
from services.catalog import CatalogService
from services.catalog_reads import MAX_ID, shown_category_ids
from services.errors import DomainError, NotFound
from services.texts import N_

# Keeps the cart screen within Telegram's text and keyboard limits.
MAX_LINES = 20
CART_FULL = N_("Your cart is full: check out or remove something first.")


class OutOfStock(DomainError):
    message = N_("Sorry, this product is out of stock.")


@dataclass(frozen=True, slots=True)
class CartLine:
    product_id: int
    name: str
    quantity: int
    price: Decimal  # now
    seen_price: Decimal  # when the customer last looked
    stock: int
    available: bool
    category_id: int = 0  # for a promo code limited to a category

    @property
    def total(self) -> Decimal:
        return self.price * self.quantity

    @property
    def payable(self) -> Decimal:
        """What of the line can be bought now: none of a hidden or sold-out product, the
        units in stock of a short one."""
        return self.price * min(self.quantity, max(self.stock, 0)) if self.available else Decimal(0)

    @property
    def price_changed(self) -> bool:
        return self.price != self.seen_price

    @property
    def short(self) -> bool:
        return self.available and self.quantity > self.stock

    @property
    def sold_out(self) -> bool:
        """Short of every unit: none left to order (it may come back)."""
        return self.short and self.stock <= 0


@dataclass(frozen=True, slots=True)
class Cart:
    lines: list[CartLine]

    @property
    def total(self) -> Decimal:
        """What the cart comes to: only what can be bought counts (`CartLine.payable`)."""
        return sum((line.payable for line in self.lines), Decimal(0))

    @property
    def blocked(self) -> bool:
        """Lines that checkout would refuse: hidden products or more than is in stock."""
        return any(not line.available or line.short for line in self.lines)


class CartService:
    """A customer's cart. Every method works on `user`'s own rows only."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user: User) -> Cart:
        # "Available" is the catalog's rule: the product, its category and every
        # ancestor category are shown.
        shown = and_(
            Product.is_active.is_(True),
            Product.is_deleted.is_(False),
            Product.category_id.in_(shown_category_ids()),
        )
        rows = await self.session.execute(
            select(CartItem, Product, shown.label("shown"))
            .join(Product, Product.id == CartItem.product_id)
            .where(CartItem.user_id == user.id)
            .order_by(CartItem.id)
        )
        return Cart(
            [
                CartLine(
                    product_id=product.id,
                    name=product.name,
                    quantity=item.quantity,
                    price=product.price,
                    seen_price=item.price,
                    stock=product.stock,
                    available=bool(shown),
                    category_id=product.category_id,
                )
                for item, product, shown in rows
            ]
        )

    async def _item(self, user: User, product_id: int) -> CartItem | None:
        if not 0 < product_id <= MAX_ID:
            return None
        return await self.session.scalar(
            select(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == product_id)
        )

    async def add(self, user: User, product_id: int) -> int:
        """One more of the product in the cart; the new quantity."""
        product = await CatalogService(self.session).visible_product(product_id)
        if product is None:
            raise NotFound()
        item = await self._item(user, product_id)
        quantity = (item.quantity if item else 0) + 1
        self._check_stock(product.stock, quantity)
        if item is None:
            count = await self.session.scalar(
                select(func.count()).select_from(CartItem).where(CartItem.user_id == user.id)
            )
            if (count or 0) >= MAX_LINES:
                raise DomainError(CART_FULL)
            self.session.add(
                CartItem(user_id=user.id, product_id=product_id, quantity=1, price=product.price)
            )
        else:
            item.quantity = quantity
        await self.session.flush()
        return quantity

    async def change(self, user: User, product_id: int, delta: int) -> int:
        """Quantity up or down by `delta`; at zero the line goes. The new quantity."""
        item = await self._item(user, product_id)
        if item is None:
            raise NotFound(N_("This item is no longer in your cart."))
        quantity = item.quantity + delta
        if quantity <= 0:
            await self.session.delete(item)
            await self.session.flush()
            return 0
        if delta > 0:
            product = await CatalogService(self.session).visible_product(product_id)
            if product is None:
                raise NotFound()
            self._check_stock(product.stock, quantity)
        item.quantity = quantity
        await self.session.flush()
        return quantity

    @staticmethod
    def _check_stock(stock: int, quantity: int) -> None:
        if stock <= 0:
            raise OutOfStock()
        if quantity > stock:
            raise OutOfStock(N_("Sorry, only {stock} in stock."), stock=stock)

    async def remove(self, user: User, product_id: int) -> None:
        if not 0 < product_id <= MAX_ID:
            return
        await self.session.execute(
            delete(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == product_id)
        )

    async def clear(self, user: User) -> None:
        await self.session.execute(delete(CartItem).where(CartItem.user_id == user.id))

    async def acknowledge_prices(self, user: User) -> None:
        """The customer has seen today's prices (the checkout summary shows them)."""
        current = select(Product.price).where(Product.id == CartItem.product_id).scalar_subquery()
        await self.session.execute(
            update(CartItem)
            .where(CartItem.user_id == user.id)
            .values(price=current)
            .execution_options(synchronize_session=False)
        )
