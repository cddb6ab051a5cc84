"""Sellers' products: create, edit, hide/show and soft-delete, with ownership checks.

Every method takes the acting user and checks the rule itself, so a forged button
cannot touch another seller's product. Admins may manage any product.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Category, Product, Role, User
from services.access import can_sell
from services.audit import AuditService
from services.catalog_reads import shown_category_ids
from services.categories import ancestry
from services.errors import InvalidInput, NotAllowed, NotFound
from services.paging import fit_page
from services.restock import RestockService
from services.slugs import unique_slug
from services.texts import N_
from services.validation import clean_description, clean_name, parse_price, parse_stock


class ProductField(StrEnum):
    """The fields a seller fills in, in the order the add dialog asks for them."""

    category = "category"
    name = "name"
    description = "description"
    price = "price"
    stock = "stock"
    photo = "photo"


@dataclass(frozen=True, slots=True)
class ProductPage:
    items: list[Product]
    page: int  # the page shown: the last one for a page past the end
    pages: int
    under_hidden: frozenset[int] = frozenset()  # ids whose category (or one above) is hidden


def field_value(product: Product, field: ProductField) -> Any:
    """The field's value as plain JSON (the price as a string)."""
    value = {
        ProductField.category: product.category_id,
        ProductField.name: product.name,
        ProductField.description: product.description,
        ProductField.price: product.price,
        ProductField.stock: product.stock,
        ProductField.photo: product.photo_file_id,
    }[field]
    return str(value) if isinstance(value, Decimal) else value


class ProductService:
    def __init__(
        self,
        session: AsyncSession,
        max_price: Decimal = Decimal("10000000"),
        currency: str = "RUB",
    ) -> None:
        self.session = session
        self.max_price = max_price
        self.currency = currency  # the shop's: prices have its precision (no cents in JPY)

    # -- reading -------------------------------------------------------------------------

    async def get_own(self, actor: User, product_id: int) -> Product:
        """A product the actor may manage: their own, or any product for an admin."""
        self._require_seller(actor)
        product = await self.session.get(Product, product_id)
        if product is None or product.is_deleted:
            raise NotFound()
        if actor.role is not Role.admin and product.seller_id != actor.id:
            raise NotAllowed()
        return product

    async def list_own(self, actor: User, page: int, page_size: int) -> ProductPage:
        """The actor's products, newest first, one page (deleted ones left out); a page
        past the end (products deleted since) is the last one."""
        self._require_seller(actor)
        mine = select(Product).where(Product.seller_id == actor.id, Product.is_deleted.is_(False))
        total = await self.session.scalar(select(func.count()).select_from(mine.subquery())) or 0
        page, pages = fit_page(page, total, page_size)
        stmt = mine.order_by(Product.id.desc()).offset((page - 1) * page_size).limit(page_size)
        items = list(await self.session.scalars(stmt))
        hidden = select(Product.id).where(
            Product.id.in_([p.id for p in items]),
            Product.category_id.not_in(shown_category_ids()),
        )
        under_hidden = frozenset(await self.session.scalars(hidden)) if items else frozenset()
        return ProductPage(items, page, pages, under_hidden)

    async def child_categories(self, parent_id: int | None) -> list[Category]:
        """Active categories under `parent_id` (None: the top level), in menu order."""
        stmt = (
            select(Category)
            .where(
                Category.parent_id.is_(None)
                if parent_id is None
                else Category.parent_id == parent_id
            )
            .where(Category.is_active.is_(True))
            .order_by(Category.position, Category.id)
        )
        return list(await self.session.scalars(stmt))

    async def category(self, category_id: int) -> Category:
        """A category a product may be placed in: it and all its ancestors are active
        (customers can't reach anything under a hidden one)."""
        path = await self.category_path(category_id)
        if not path or path[0].parent_id is not None or not all(c.is_active for c in path):
            raise NotFound(N_("This category is no longer available."))
        return path[-1]

    async def category_path(self, category_id: int) -> list[Category]:
        """The category and its ancestors, top level first (hidden ones included)."""
        return await ancestry(self.session, category_id)

    # -- writing -------------------------------------------------------------------------

    async def create(
        self,
        actor: User,
        *,
        category_id: int,
        name: str,
        description: str,
        price: Decimal | str,
        stock: int | str,
        photo_file_id: str | None,
    ) -> Product:
        self._require_seller(actor)
        await self.category(category_id)
        name = clean_name(name)
        product = Product(
            name=name,
            slug=await unique_slug(self.session, Product.slug, name),
            description=clean_description(description),
            price=parse_price(str(price), self.max_price, self.currency),
            stock=parse_stock(str(stock)),
            photo_file_id=photo_file_id,
            category_id=category_id,
            seller_id=actor.id,
        )
        self.session.add(product)
        await self.session.flush()
        return product

    async def update_field(
        self, actor: User, product_id: int, field: ProductField, value: object
    ) -> Product:
        """Change one field through the same rule the add dialog uses.

        The slug stays as it was on a rename, so links to the product keep working.
        """
        product = await self.get_own(actor, product_id)
        before = field_value(product, field)
        match field:
            case ProductField.category:
                product.category_id = (await self.category(int(value))).id  # type: ignore[call-overload]
            case ProductField.name:
                product.name = clean_name(str(value))
            case ProductField.description:
                product.description = clean_description(str(value or ""))
            case ProductField.price:
                product.price = parse_price(str(value), self.max_price, self.currency)
            case ProductField.stock:
                product.stock = parse_stock(str(value))
            case ProductField.photo:
                product.photo_file_id = str(value) if value else None
            case _:  # pragma: no cover - the enum is closed
                raise InvalidInput()
        await self.session.flush()
        after = field_value(product, field)
        if field in (ProductField.stock, ProductField.category) and product.stock > 0:
            await self._stock_back(product)  # (moved out of a hidden category: in view)
        await self._audit(
            actor, product, "product.update", {field.value: before}, {field.value: after}
        )
        return product

    async def set_visible(self, actor: User, product_id: int, visible: bool) -> Product:
        product = await self.get_own(actor, product_id)
        product.is_active = visible
        await self.session.flush()
        if visible and product.stock > 0:
            await self._stock_back(product)
        await self._audit(actor, product, "product.show" if visible else "product.hide")
        return product

    async def delete(self, actor: User, product_id: int) -> Product:
        """Soft delete: the row stays for the orders and reviews that point at it."""
        product = await self.get_own(actor, product_id)
        product.is_deleted = True
        await self.session.flush()
        await self._audit(actor, product, "product.delete")
        return product

    async def _stock_back(self, product: Product) -> None:
        """Every path that puts a product on sale with stock goes through here: the
        customers waiting for it are owed a message (sent after the commit)."""
        await RestockService(self.session).stock_raised([product.id])

    async def _audit(
        self,
        actor: User,
        product: Product,
        action: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """An admin changing someone else's product leaves a trace in the audit log."""
        if actor.role is Role.admin and product.seller_id != actor.id:
            await AuditService(self.session).record(
                actor, action, "product", product.id, before, after
            )

    @staticmethod
    def _require_seller(actor: User) -> None:
        if not can_sell(actor):
            raise NotAllowed()
