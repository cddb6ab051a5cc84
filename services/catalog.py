"""What customers may see of the catalog, and the reads behind each catalog screen.

The visibility rule lives here and only here: a product is shown when it is active, not
deleted, and its category and every ancestor of that category are active. A category is
shown when it and all its ancestors are active. Screens of one item check the path up
from that item (a handful of primary-key steps in the same statement); searches check
membership in the set of shown categories (categories are few).

Every screen is one statement (a search's first page also counts its matches); a category
screen reads the category, its children and its page of products in one `UNION ALL`.
Paging is keyset on product id (no OFFSET), and "page n/N" comes from the kept
`Category.product_count`. Only a stale cursor (rows removed since the page was shown)
costs one more statement.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Integer,
    Numeric,
    Select,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db import readahead
from db.readahead import Read
from models import Category, Product, Review, User
from models.product import search_fold

MAX_TERMS = 8
MAX_TERM_LENGTH = 50
MAX_QUERY_LENGTH = 200
MAX_ID = 2**31 - 1  # ids are INTEGER: a forged larger one is simply not found


class ProductView(Protocol):
    """What a product card shows of a product: a card's row, or a seller's draft."""

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

    @property
    def viewer_is_seller(self) -> bool:
        return self.viewer_id is not None and self.viewer_id == self.product.seller_id


@dataclass(slots=True)
class ListedProduct:
    """A product as a list shows it: a button with its name and price."""

    id: int
    name: str
    price: Decimal
    stock: int


@dataclass(slots=True)
class CategoryItem:
    """A category as the catalog shows it."""

    id: int
    name: str
    parent_id: int | None
    product_count: int


@dataclass(slots=True)
class CardProduct:
    """A product as its card shows it (a `ProductView`)."""

    id: int
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


# -- the visibility rule ------------------------------------------------------------------


def _listed() -> ColumnElement[bool]:
    return and_(Product.is_active.is_(True), Product.is_deleted.is_(False))


def _path_shown(anchor: Select) -> ColumnElement[bool]:
    """True when no category on the path from the anchor row up to the top is hidden.

    `anchor` selects (id, parent_id, is_active) of one category. UNION (not UNION ALL)
    ends the walk even if a broken tree had a cycle.
    """
    up = anchor.cte("up", recursive=True)
    parent = aliased(Category)
    up = up.union(
        select(parent.id, parent.parent_id, parent.is_active).where(parent.id == up.c.parent_id)
    )
    return ~exists().where(up.c.is_active.is_(False))


@cache
def _shown_categories() -> Select:
    """ids of every shown category, walked down from the active top level."""
    shown = (
        select(Category.id)
        .where(Category.parent_id.is_(None), Category.is_active.is_(True))
        .cte("shown", recursive=True)
    )
    child = aliased(Category)
    shown = shown.union(
        select(child.id).where(child.parent_id == shown.c.id, child.is_active.is_(True))
    )
    return select(shown.c.id)


# Statements are built once with bind parameters: building a recursive CTE per press
# costs more than running it. They hold no data, so nothing here can go stale.

_ROW = (Product.id, Product.name, Product.price, Product.stock)
_CATEGORY_COLUMNS = (Category.id, Category.name, Category.parent_id, Category.product_count)


def _int(name: str) -> BindParameter[int]:
    return bindparam(name, type_=Integer)


@cache
def _product_path() -> ColumnElement[bool]:
    anchor = (
        select(Category.id, Category.parent_id, Category.is_active)
        .join(Product, Product.category_id == Category.id)
        .where(Product.id == _int("product_id"))
    )
    return _path_shown(anchor)


@cache
def _visible_product_stmt() -> Select:
    return select(Product).where(Product.id == _int("product_id"), _listed(), _product_path())


_CARD_COLUMNS = (
    Product.id,
    Product.name,
    Product.description,
    Product.price,
    Product.stock,
    Product.photo_file_id,
    Product.image_url,
    Product.category_id,
    Product.seller_id,
    Product.rating_sum,
    Product.rating_count,
)


@cache
def _card_stmt() -> Select:
    """A product card's one row; the viewer is named by Telegram id (:viewer), so a
    button press can carry the card (see `card_read`)."""
    viewer = (
        select(User.id)
        .where(User.telegram_id == bindparam("viewer", type_=BigInteger))
        .scalar_subquery()
    )
    seller = aliased(User)
    has_review = exists().where(Review.product_id == Product.id, Review.user_id == viewer)
    return (
        select(
            *_CARD_COLUMNS,
            Category.name.label("category_name"),
            seller.first_name.label("seller_first_name"),
            seller.last_name.label("seller_last_name"),
            seller.username.label("seller_username"),
            viewer.label("viewer_id"),
            has_review.label("has_review"),
        )
        .join(Category, Category.id == Product.category_id)
        .outerjoin(seller, seller.id == Product.seller_id)
        .where(Product.id == _int("product_id"), _listed(), _product_path())
    )


@cache
def _top_stmt() -> Select:
    return (
        select(*_CATEGORY_COLUMNS)
        .where(Category.parent_id.is_(None), Category.is_active.is_(True))
        .order_by(Category.position, Category.id)
    )


def _keyset(base: Select, size: int) -> tuple[Select, Select]:
    """Forward (ids above :after) and backward (ids below :after) pages of `base`, `size`
    rows and one more (is there a next page?)."""
    # The limit is written into the SQL, not bound: with every parameter of a LIMIT
    # unknown, PostgreSQL re-plans this statement on each run (about 0.4 ms for a
    # category screen) instead of keeping one plan for its prepared statement.
    after = _int("after")
    limit = literal_column(str(int(size) + 1), Integer)
    return (
        base.where(Product.id > after).order_by(Product.id).limit(limit),
        base.where(Product.id < after).order_by(Product.id.desc()).limit(limit),
    )


@cache
def _category_pages(size: int) -> tuple[Select, Select]:
    where = (Product.category_id == _int("category_id"), _listed())
    return _keyset(select(*_ROW).where(*where), size)


# A category screen in one statement: the category row (with whether its path is shown)
# and its active children (kind 0), then one keyset page of its products (kind 1). Each
# side pads the other's columns with typed NULLs so the UNION lines up on PostgreSQL.
# `sort` orders each kind: categories by (position, id); products by id, or by -id
# backward, so the page comes out in the order `_page` expects; `readahead.rows` puts
# the rows in that order (the statement has no ORDER BY).
_CATEGORY, _PRODUCT = 0, 1
_SCREEN_ORDER = ("kind", "sort", "id")


@cache
def _category_screen_stmt(backward: bool, size: int) -> CompoundSelect:
    category_id = _int("category_id")
    anchor = select(Category.id, Category.parent_id, Category.is_active).where(
        Category.id == category_id
    )
    categories = select(
        literal_column(str(_CATEGORY), Integer).label("kind"),
        *_CATEGORY_COLUMNS,
        _path_shown(anchor).label("shown"),
        cast(null(), Numeric(12, 2)).label("price"),
        cast(null(), Integer).label("stock"),
        Category.position.label("sort"),
    ).where(
        or_(
            Category.id == category_id,
            and_(Category.parent_id == category_id, Category.is_active.is_(True)),
        )
    )
    page = _category_pages(size)[backward].subquery("page")
    products = select(
        literal_column(str(_PRODUCT), Integer).label("kind"),
        page.c.id,
        page.c.name,
        cast(null(), Integer).label("parent_id"),
        cast(null(), Integer).label("product_count"),
        cast(null(), Boolean).label("shown"),
        page.c.price,
        page.c.stock,
        (-page.c.id if backward else page.c.id).label("sort"),
    )
    return union_all(categories, products)


def category_read(category_id: int, page: int, after: int, page_size: int) -> Read | None:
    """The one statement behind a category screen (not the top level, id 0); None for an
    id no category can have. A user's press can carry it (see `db.readahead`)."""
    if not 0 < category_id <= MAX_ID:
        return None
    _page, after = _cursor(page, after)
    params = {"category_id": category_id, "after": abs(after)}
    return Read(_category_screen_stmt(after < 0, page_size), params, _SCREEN_ORDER)


def card_read(product_id: int, viewer_telegram_id: int | None) -> Read | None:
    """The one statement behind a product card, as seen by the user with that Telegram
    id; None for an id no product can have. A user's press can carry it."""
    if not 0 < product_id <= MAX_ID:
        return None
    return Read(_card_stmt(), {"product_id": product_id, "viewer": viewer_telegram_id}, ("id",))


def _cursor(page: int, after: int) -> tuple[int, int]:
    """The page and keyset cursor a press asks for, never trusted: page 1 (or below, or
    a later page with no cursor) is read from the top, whatever cursor came with it, so
    a page looks the same however it is reached; cursors stay within INTEGER."""
    if page <= 1 or after == 0:
        return 1, 0
    return page, max(min(after, MAX_ID), -MAX_ID)


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
        return await self.session.scalar(_visible_product_stmt(), {"product_id": product_id})

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
            product=CardProduct(*row[: len(_CARD_COLUMNS)]),
            seller_name=seller or None,
            category_name=row.category_name,
            viewer_has_review=bool(row.has_review),
            viewer_id=row.viewer_id,
        )

    async def category_screen(
        self, category_id: int, page: int, after: int, page_size: int
    ) -> CategoryScreen | None:
        """A category with its shown children and one page of products; None when the
        category is hidden or gone. Id 0 is the top level (categories only)."""
        if category_id == 0:
            top = (await self.session.execute(_top_stmt())).all()
            return CategoryScreen(None, [CategoryItem(*r) for r in top], _EMPTY)
        read = category_read(category_id, page, after, page_size)
        if read is None:
            return None
        rows = await readahead.rows(self.session, read)
        categories = [
            CategoryItem(r.id, r.name, r.parent_id, r.product_count)
            for r in rows
            if r.kind == _CATEGORY and (r.id != category_id or r.shown)
        ]
        current = next((c for c in categories if c.id == category_id), None)
        if current is None:
            return None
        page, after = _cursor(page, after)
        listed = [ListedProduct(r.id, r.name, r.price, r.stock) for r in rows if r.kind == _PRODUCT]
        products = shape(listed, page, after, page_size, current.product_count)
        if products is None:
            return await self.category_screen(
                category_id, *_nearest(page, page_size, current.product_count), page_size
            )
        children = [c for c in categories if c.id != category_id]
        return CategoryScreen(current, children, products)

    async def search(
        self, query: str, page: int, after: int, page_size: int, total: int | None = None
    ) -> tuple[Page, int]:
        """A page of shown products matching every word; and the number of matches
        (counted only when `total` is None: the first page of a search)."""
        terms = search_terms(query)
        if not terms:
            return _EMPTY, 0
        where = and_(_listed(), _matches(terms), Product.category_id.in_(_shown_categories()))
        if total is None:
            total = await self.session.scalar(select(func.count()).where(where)) or 0
        page, after = _cursor(page, after)
        forward, backward = _keyset(select(*_ROW).where(where), page_size)
        stmt = backward if after < 0 else forward
        found = await self.session.execute(stmt, {"after": abs(after)})
        products = shape([ListedProduct(*r) for r in found], page, after, page_size, total)
        if products is None:
            page, after = _nearest(page, page_size, total)
            return await self.search(query, page, after, page_size, total)
        return products, total

    async def newest_matching(self, query: str, before: int, limit: int) -> list[Product]:
        """Shown products matching `query` (all of them when it is empty), newest first,
        older than id `before` (0: from the newest). For inline mode."""
        stmt = select(Product).where(_listed(), Product.category_id.in_(_shown_categories()))
        terms = search_terms(query)
        if terms:
            stmt = stmt.where(_matches(terms))
        if 0 < before <= MAX_ID:
            stmt = stmt.where(Product.id < before)
        stmt = stmt.order_by(Product.id.desc()).limit(limit)
        return list(await self.session.scalars(stmt))


def shown_category_ids() -> Select:
    """ids of every shown category: the rule above, for other services' filters
    (`Product.category_id.in_(shown_category_ids())`)."""
    return _shown_categories()
