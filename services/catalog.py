"""The catalog as customers browse it: a category screen, a product card, search,
inline mode; what each screen's rows become (plain dataclasses) and how a keyset page
is labelled n/N (`shape`). The statements and the visibility rule are in
`services.catalog_reads`.

Every screen is one statement (a search's first page also counts its matches); "page
n/N" comes from the kept `Category.product_count`. Only a press that does not fit the
list as it is now (rows removed since, a forged page) costs one more statement.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import (
    ColumnElement,
    and_,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db import readahead
from models import Product
from models.product import search_fold
from services.catalog_reads import (
    CARD_COLUMNS,
    CATEGORY_ROW,
    LIST_COLUMNS,
    MAX_ID,
    PRODUCT_ROW,
    card_read,
    category_read,
    cursor,
    keyset,
    listed,
    shown_category_ids,
    top_stmt,
    visible_product_stmt,
)

MAX_TERMS = 8
MAX_TERM_LENGTH = 50
MAX_QUERY_LENGTH = 200


class ProductView(Protocol):
    """What a product card or an inline result shows of a product: a `CardProduct`, or the
    `Product` row itself."""

    id: int | None
    name: str
    description: str
    price: Decimal
    stock: int
    photo_file_id: str | None
    image_url: str | None
    category_id: int
    seller_id: int | None
    rating_sum: int
    rating_count: int


@dataclass(frozen=True, slots=True)
class ProductCard:
    """A product and everything its card shows about it."""

    product: ProductView
    seller_name: str | None = None
    category_name: str | None = None
    viewer_has_review: bool = False
    viewer_id: int | None = None  # users.id of the one looking; the seller can't review
    is_favourite: bool = False  # on the viewer's favourites list
    alert_on: bool = False  # the viewer asked to be told when it is back in stock

    @property
    def viewer_is_seller(self) -> bool:
        return self.viewer_id is not None and self.viewer_id == self.product.seller_id


@dataclass(frozen=True, slots=True)
class ListedProduct:
    """A product as a list shows it: a button with its name and price."""

    id: int
    name: str
    price: Decimal
    stock: int


@dataclass(frozen=True, slots=True)
class CategoryItem:
    """A category as the catalog shows it."""

    id: int
    name: str
    parent_id: int | None
    product_count: int


@dataclass(slots=True)
class CardProduct:
    """A product as its card shows it (a `ProductView`); a seller's draft has no id yet
    and no reviews."""

    id: int | None
    name: str
    description: str
    price: Decimal
    stock: int
    photo_file_id: str | None
    image_url: str | None
    category_id: int
    seller_id: int | None
    rating_sum: int = 0
    rating_count: int = 0


@dataclass(frozen=True, slots=True)
class Page:
    """One keyset page of products."""

    items: list[ListedProduct]
    page: int
    pages: int
    has_prev: bool
    has_next: bool

    @property
    def first_id(self) -> int:
        return self.items[0].id if self.items else 0

    @property
    def last_id(self) -> int:
        return self.items[-1].id if self.items else 0


@dataclass(frozen=True, slots=True)
class CategoryScreen:
    """A category (None: the top level), its shown subcategories and a page of products."""

    category: CategoryItem | None
    children: list[CategoryItem]
    products: Page


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


def shape(rows: list[ListedProduct], page: int, after: int, size: int, total: int) -> Page | None:
    """The page one keyset read gives (`rows`: up to size + 1 rows past the cursor, or
    before it nearest first when `after` < 0), labelled n/N; None when the press does
    not fit the list as it is now (a page past the last, or rows removed since), and the
    caller reads the nearest real page instead (`_nearest`)."""
    if page > _pages(total, size):
        return None
    if after == -MAX_ID and page > 1:  # the last page, read back from the end
        held = min(len(rows), total - (page - 1) * size, size)
        return _labelled(rows[:held][::-1], page, True, False, size, total) if held > 0 else None
    if after < 0:  # ◀: the rows before the page the user was on
        if len(rows) > size:
            return _labelled(rows[:size][::-1], page, True, True, size, total)
        if len(rows) == size:  # exactly one page before it: that is page 1
            return _labelled(rows[::-1], 1, False, True, size, total)
        return None
    if not rows and after > 0:  # a cursor past the end
        return None
    return _labelled(rows[:size], page, after > 0, len(rows) > size, size, total)


def _labelled(
    items: list[ListedProduct], page: int, has_prev: bool, has_next: bool, size: int, total: int
) -> Page:
    # The kept count may lag a bulk change; what the query saw wins.
    pages = max(_pages(total, size), page + 1) if has_next else page
    return Page(items, page, pages, has_prev, has_next)


def _nearest(page: int, size: int, total: int) -> tuple[int, int]:
    """Where a press that did not fit goes: the last page (read back from the end) for a
    page past it, else the first."""
    last = _pages(total, size)
    return (last, -MAX_ID) if page > last > 1 else (1, 0)


def search_terms(query: str) -> list[str]:
    """The folded words of a search query, bounded so a long query stays cheap."""
    words = search_fold(query[:MAX_QUERY_LENGTH]).split()
    return [w[:MAX_TERM_LENGTH] for w in words[:MAX_TERMS]]


def _matches(terms: list[str]) -> ColumnElement[bool]:
    return and_(*(Product.search_text.contains(t, autoescape=True) for t in terms))


_EMPTY = Page([], 1, 1, False, False)


class CatalogService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def visible_product(self, product_id: int) -> Product | None:
        """The product when customers may see it now, else None."""
        if not 0 < product_id <= MAX_ID:
            return None
        return await self.session.scalar(visible_product_stmt(), {"product_id": product_id})

    async def product_card(
        self, product_id: int, viewer_telegram_id: int | None = None
    ) -> ProductCard | None:
        """The card of a product, in one statement; None when it is hidden or gone."""
        read = card_read(product_id, viewer_telegram_id)
        if read is None:
            return None
        rows = await readahead.rows(self.session, read)
        if not rows:
            return None
        row = rows[0]
        names = (row.seller_first_name, row.seller_last_name)
        seller = " ".join(p for p in names if p) or row.seller_username
        return ProductCard(
            product=CardProduct(*row[: len(CARD_COLUMNS)]),
            seller_name=seller or None,
            category_name=row.category_name,
            viewer_has_review=bool(row.has_review),
            viewer_id=row.viewer_id,
            is_favourite=bool(row.is_favourite),
            alert_on=bool(row.alert_on),
        )

    async def category_screen(
        self, category_id: int, page: int, after: int, page_size: int
    ) -> CategoryScreen | None:
        """A category with its shown children and one page of products; None when the
        category is hidden or gone. Id 0 is the top level (categories only)."""
        if category_id == 0:
            top = (await self.session.execute(top_stmt())).all()
            return CategoryScreen(None, [CategoryItem(*r) for r in top], _EMPTY)
        read = category_read(category_id, page, after, page_size)
        if read is None:
            return None
        rows = await readahead.rows(self.session, read)
        categories = [
            CategoryItem(r.id, r.name, r.parent_id, r.product_count)
            for r in rows
            if r.kind == CATEGORY_ROW and (r.id != category_id or r.shown)
        ]
        current = next((c for c in categories if c.id == category_id), None)
        if current is None:
            return None
        page, after = cursor(page, after)
        found = [
            ListedProduct(r.id, r.name, r.price, r.stock) for r in rows if r.kind == PRODUCT_ROW
        ]
        products = shape(found, page, after, page_size, current.product_count)
        if products is None:
            return await self.category_screen(
                category_id, *_nearest(page, page_size, current.product_count), page_size
            )
        children = [c for c in categories if c.id != category_id]
        return CategoryScreen(current, children, products)

    async def search(
        self, query: str, page: int, after: int, page_size: int, total: int | None = None
    ) -> tuple[Page, int]:
        """A page of shown products matching every word, and the number of matches:
        counted when `total` is None (a search's first page), and again when a press
        does not fit the count it was given (products were added or removed since)."""
        terms = search_terms(query)
        if not terms:
            return _EMPTY, 0
        where = and_(listed(), _matches(terms), Product.category_id.in_(shown_category_ids()))
        fresh = total is None
        if total is None:
            total = await self._count(where)
        page, after = cursor(page, after)
        forward, backward = keyset(select(*LIST_COLUMNS).where(where), page_size)
        for _ in range(4):  # the press; counted again; the nearest page; the first
            found = await self.session.execute(
                backward if after < 0 else forward, {"after": abs(after)}
            )
            products = shape([ListedProduct(*r) for r in found], page, after, page_size, total)
            if products is not None:
                return products, total
            if not fresh:
                total, fresh = await self._count(where), True
            else:
                page, after = _nearest(page, page_size, total)
        return _EMPTY, total

    async def _count(self, where: ColumnElement[bool]) -> int:
        return await self.session.scalar(select(func.count()).where(where)) or 0

    async def newest_matching(self, query: str, before: int, limit: int) -> list[Product]:
        """Shown products matching `query` (all of them when it is empty), newest first,
        older than id `before` (0: from the newest). For inline mode."""
        stmt = select(Product).where(listed(), Product.category_id.in_(shown_category_ids()))
        terms = search_terms(query)
        if terms:
            stmt = stmt.where(_matches(terms))
        if 0 < before <= MAX_ID:
            stmt = stmt.where(Product.id < before)
        stmt = stmt.order_by(Product.id.desc()).limit(limit)
        return list(await self.session.scalars(stmt))
