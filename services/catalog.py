"""The catalog as customers browse it: a category screen, a product card, search,
inline mode; what each screen's rows become (plain dataclasses) and how a keyset page
is labelled n/N (`shape`). The statements and the visibility rule are in
`services.catalog_reads`.

Every screen is one statement (a search's first page also counts its matches); "page
n/N" comes from the kept `Category.product_count`. Only a press that does not fit the
list as it is now (rows removed since, a forged page) costs one more statement.
"""

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from sqlalchemy import (
    ColumnElement,
    Integer,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db import readahead
from models import Product
from services.catalog_reads import (
    CARD_COLUMNS,
    CATEGORY_ROW,
    LIST_COLUMNS,
    MAX_ID,
    PRODUCT_ROW,
    card_read,
    category_read,
    cursor,
    listed,
    nth_product_stmt,
    shown_category_ids,
    top_stmt,
    visible_product_stmt,
)
from services.catalog_search import (
    COUNT_CAP,
    MAX_QUERY_LENGTH,
    MAX_TERMS,
    matches,
    ranked,
    search_terms,
    uses_fts,
    words_left_out,
)
from services.names import public_name
from services.paging import page_count

__all__ = [
    "COUNT_CAP",
    "MAX_QUERY_LENGTH",
    "MAX_TERMS",
    "CatalogService",
    "search_terms",
    "words_left_out",
]


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
    # The cursor that reads this page again (a card's Back): the id of the product just
    # before the page in its order, 0 for the first page.
    here: int = 0

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


def shape(rows: list[ListedProduct], page: int, after: int, size: int, total: int) -> Page | None:
    """The page one keyset read gives (`rows`: up to size + 1 rows past the cursor, or
    before it nearest first when `after` < 0), labelled n/N; None when the press does
    not fit the list as it is now (a page past the last, or rows removed since), and the
    caller reads the nearest real page instead (`_nearest`)."""
    if page > page_count(total, size) or (after == 0 and page > 1):
        return None
    if after == -MAX_ID and page > 1:  # the last page, read back from the end
        held = min(len(rows), total - (page - 1) * size, size)
        if held <= 0:
            return None
        return _labelled(rows[:held][::-1], page, True, False, size, total, _id(rows, held))
    if after < 0:  # ◀: the rows before the page the user was on
        if len(rows) > size:
            return _labelled(rows[:size][::-1], page, True, True, size, total, rows[size].id)
        if len(rows) == size:  # exactly one page before it: that is page 1
            return _labelled(rows[::-1], 1, False, True, size, total, 0)
        return None
    if not rows and after > 0:  # a cursor past the end
        return None
    return _labelled(rows[:size], page, after > 0, len(rows) > size, size, total, after)


def _capped(page: Page, size: int, total: int) -> Page:
    """A page of a list whose count was capped: the list ends after COUNT_CAP rows."""
    if total <= COUNT_CAP or page.page * size < COUNT_CAP:
        return page
    room = COUNT_CAP - (page.page - 1) * size
    return replace(page, items=page.items[:room], pages=page.page, has_next=False)


def _id(rows: list[ListedProduct], n: int) -> int:
    return rows[n].id if len(rows) > n else 0


def _labelled(
    items: list[ListedProduct],
    page: int,
    has_prev: bool,
    has_next: bool,
    size: int,
    total: int,
    here: int,
) -> Page:
    # The kept count may lag a bulk change; what the query saw wins.
    pages = max(page_count(total, size), page + 1) if has_next else page
    return Page(items, page, pages, has_prev, has_next, here)


def _uncursored(page: int, after: int, size: int, total: int) -> bool:
    """A press for a page after the first and not past the last that came without the
    cursor that reads it: `shape` can't place it, but the page is there."""
    return after == 0 and 1 < page <= page_count(total, size)


def _nearest(page: int, size: int, total: int) -> tuple[int, int]:
    """Where a press that did not fit goes: the last page (read back from the end) for a
    page past it, else the first."""
    last = page_count(total, size)
    return (last, -MAX_ID) if page > last > 1 else (1, 0)


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
        seller = public_name(row.seller_first_name, row.seller_last_name, row.seller_username)
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
        if _uncursored(page, after, page_size, current.product_count):
            # A page inside the list without its cursor (a forged or hand-made button):
            # its cursor is the last product of the page before it, found by offset.
            stmt = nth_product_stmt(category_id, (page - 1) * page_size)
            if anchor := await self.session.scalar(stmt):
                return await self.category_screen(category_id, page, anchor, page_size)
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
        """A page of shown products matching every word, in the search order
        (`services.catalog_search`), and the number of matches: counted when `total` is
        None (a search's first page), and again when a press does not fit the count it
        was given (products were added or removed since). The count stops at
        COUNT_CAP + 1 (more than COUNT_CAP: the list ends after the first COUNT_CAP)."""
        terms = search_terms(query)
        if not terms:
            return _EMPTY, 0
        fts = await uses_fts(self.session)
        where = matches(terms, fts)
        page, after = cursor(page, after)
        fresh = total is None
        found = None
        if total is None and after == 0:  # a first page not full is the whole count
            found = await ranked(self.session, LIST_COLUMNS, terms, fts, 0, page_size + 1)
            if len(found) <= page_size:
                total = len(found)
        if total is None:
            total = await self._count(where)
        if _uncursored(page, after, page_size, min(total, COUNT_CAP)):
            # A page inside the list without its cursor: the ids of the pages before it
            # (at most COUNT_CAP) give it, the last of them being its cursor.
            before = (page - 1) * page_size
            ids = await ranked(self.session, (Product.id,), terms, fts, 0, before)
            if len(ids) == before:
                after, found = ids[-1].id, None
        for _ in range(4):  # the press; counted again; the nearest page; the first
            if found is None:
                found = await ranked(self.session, LIST_COLUMNS, terms, fts, after, page_size + 1)
            listed_ = [ListedProduct(*r) for r in found]
            products = shape(listed_, page, after, page_size, min(total, COUNT_CAP))
            if products is not None:
                return _capped(products, page_size, total), total
            found = None
            if not fresh:
                total, fresh = await self._count(where), True
            elif total > COUNT_CAP:  # a capped list can't be read back from its end
                page, after = 1, 0
            else:
                page, after = _nearest(page, page_size, total)
        return _EMPTY, total

    async def _count(self, where: ColumnElement[bool]) -> int:
        """Matches counted up to COUNT_CAP + 1: for a common word the database stops
        after that many instead of visiting every match."""
        cap = literal_column(str(COUNT_CAP + 1), Integer)  # in the SQL: planned with it
        matched = select(literal_column("1")).where(where).limit(cap).subquery()
        return await self.session.scalar(select(func.count()).select_from(matched)) or 0

    async def matching(self, query: str, after: int, limit: int) -> list[Product]:
        """Shown products matching `query` in the search order, the ones after the
        product with id `after` (0: from the top); all of them newest first when the
        query is empty. For inline mode (`after`: the last result's id)."""
        terms = search_terms(query)
        after = after if 0 < after <= MAX_ID else 0
        if terms:
            fts = await uses_fts(self.session)
            rows = await ranked(self.session, (Product,), terms, fts, after, limit)
            return [row[0] for row in rows]
        stmt = select(Product).where(listed(), Product.category_id.in_(shown_category_ids()))
        if after:
            stmt = stmt.where(Product.id < after)
        stmt = stmt.order_by(Product.id.desc()).limit(limit)
        return list(await self.session.scalars(stmt))

    # The name from before search was ranked, for code written against it.
    newest_matching = matching
