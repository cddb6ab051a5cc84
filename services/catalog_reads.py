"""What customers may see of the catalog: the visibility rule and the statements
behind each catalog screen, built once with bind parameters.

The visibility rule lives here and only here: a product is shown when it is active, not
deleted, and its category and every ancestor of that category are active. A category is
shown when it and all its ancestors are active. Screens of one item check the path up
from that item (a handful of primary-key steps in the same statement); searches check
membership in the set of shown categories (categories are few).

A category screen reads the category, its children and its page of products in one
`UNION ALL`; a card is one row. Paging is keyset on product id (no OFFSET). Both reads
are `Read`s, so a button press can carry them (`db.readahead`).
"""

from functools import cache
from typing import Any

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
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from db.readahead import Read
from db.sql import same
from models import Category, Favourite, Product, RestockAlert, Review, User

MAX_ID = 2**31 - 1  # ids are INTEGER: a forged larger one is simply not found


def cursor(page: int, after: int) -> tuple[int, int]:
    """The page and keyset cursor a press asks for, never trusted: page 1 (or below) is
    read from the top, whatever cursor came with it, so a page looks the same however it
    is reached; cursors stay within INTEGER. A later page with no cursor (a forged or
    hand-made button) is read from the top too; `services.catalog` then finds its cursor
    by offset (or, for a page past the end, shows the last page)."""
    if page <= 1:
        return 1, 0
    return page, max(min(after, MAX_ID), -MAX_ID)


# -- the visibility rule ------------------------------------------------------------------


def listed() -> ColumnElement[bool]:
    return and_(Product.is_active.is_(True), Product.is_deleted.is_(False))


def in_category(category_id: ColumnElement[int]) -> ColumnElement[bool]:
    """The listed products of one category, for pages ordered by (category, id): see
    `db.sql.same` for why it is not written `=`."""
    return and_(same(Product.category_id, category_id), listed())


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

LIST_COLUMNS = (Product.id, Product.name, Product.price, Product.stock)
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
def visible_product_stmt() -> Select:
    return select(Product).where(Product.id == _int("product_id"), listed(), _product_path())


CARD_COLUMNS = (
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
    # The viewer's toggles on the card: primary-key / unique-index probes in the same row.
    favourite = exists().where(Favourite.user_id == viewer, Favourite.product_id == Product.id)
    # An alert is active (waiting, due or being sent) until it is consumed, which sets
    # sent_at: a plain IS NULL here, not an IN list SQLAlchemy would expand per press.
    alert = exists().where(
        RestockAlert.user_id == viewer,
        RestockAlert.product_id == Product.id,
        RestockAlert.sent_at.is_(None),
    )
    return (
        select(
            *CARD_COLUMNS,
            Category.name.label("category_name"),
            seller.first_name.label("seller_first_name"),
            seller.last_name.label("seller_last_name"),
            seller.username.label("seller_username"),
            viewer.label("viewer_id"),
            has_review.label("has_review"),
            favourite.label("is_favourite"),
            alert.label("alert_on"),
        )
        .join(Category, Category.id == Product.category_id)
        .outerjoin(seller, seller.id == Product.seller_id)
        .where(Product.id == _int("product_id"), listed(), _product_path())
    )


@cache
def top_stmt() -> Select:
    return (
        select(*_CATEGORY_COLUMNS)
        .where(Category.parent_id.is_(None), Category.is_active.is_(True))
        .order_by(Category.position, Category.id)
    )


def keyset(
    base: Select, size: int, within: ColumnElement[Any] | None = None
) -> tuple[Select, Select]:
    """Forward (ids above :after) and backward (ids below :after) pages of `base`, `size`
    rows and one more (is there a next page?). `within`: a column `base` holds to one
    value (with `in_category`), put first in the order so the index on (it, id) is used."""
    # The limit is written into the SQL, not bound: with every parameter of a LIMIT
    # unknown, PostgreSQL re-plans this statement on each run (about 0.4 ms for a
    # category screen) instead of keeping one plan for its prepared statement.
    after = _int("after")
    limit = literal_column(str(int(size) + 1), Integer)
    first = () if within is None else (within,)
    backward = () if within is None else (within.desc(),)
    return (
        base.where(Product.id > after).order_by(*first, Product.id).limit(limit),
        base.where(Product.id < after).order_by(*backward, Product.id.desc()).limit(limit),
    )


@cache
def _category_pages(size: int) -> tuple[Select, Select]:
    base = select(*LIST_COLUMNS).where(in_category(_int("category_id")))
    return keyset(base, size, within=Product.category_id)


# A category screen in one statement: the category row (with whether its path is shown)
# and its active children (kind 0), then one keyset page of its products (kind 1). Each
# side pads the other's columns with typed NULLs so the UNION lines up on PostgreSQL.
# `sort` orders each kind: categories by (position, id); products by id, or by -id
# backward, so the page comes out in the order `_page` expects; `readahead.rows` puts
# the rows in that order (the statement has no ORDER BY).
CATEGORY_ROW, PRODUCT_ROW = 0, 1
_SCREEN_ORDER = ("kind", "sort", "id")


@cache
def _category_screen_stmt(backward: bool, size: int) -> CompoundSelect:
    category_id = _int("category_id")
    anchor = select(Category.id, Category.parent_id, Category.is_active).where(
        Category.id == category_id
    )
    categories = select(
        literal_column(str(CATEGORY_ROW), Integer).label("kind"),
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
        literal_column(str(PRODUCT_ROW), Integer).label("kind"),
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


def nth_product_stmt(category_id: int, n: int) -> Select:
    """The id of the category's `n`-th listed product (from 1) in list order: the cursor
    of the page after it, for a page asked for without its cursor."""
    where = (Product.category_id == category_id, listed())
    return select(Product.id).where(*where).order_by(Product.id).offset(n - 1).limit(1)


def category_read(category_id: int, page: int, after: int, page_size: int) -> Read | None:
    """The one statement behind a category screen (not the top level, id 0); None for an
    id no category can have. A user's press can carry it (see `db.readahead`)."""
    if not 0 < category_id <= MAX_ID:
        return None
    _page, after = cursor(page, after)
    params = {"category_id": category_id, "after": abs(after)}
    return Read(_category_screen_stmt(after < 0, page_size), params, _SCREEN_ORDER)


def card_read(product_id: int, viewer_telegram_id: int | None) -> Read | None:
    """The one statement behind a product card, as seen by the user with that Telegram
    id; None for an id no product can have. A user's press can carry it."""
    if not 0 < product_id <= MAX_ID:
        return None
    return Read(_card_stmt(), {"product_id": product_id, "viewer": viewer_telegram_id}, ("id",))


def shown_category_ids() -> Select:
    """ids of every shown category: the rule above, for other services' filters
    (`Product.category_id.in_(shown_category_ids())`)."""
    return _shown_categories()
