"""The catalog as the web API lists it: keyset pages with a cursor, the category tree,
a product by slug. The visibility rule is the bot's (`services.catalog_reads`); what
is shown in the bot is what the API shows, and nothing else.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from sqlalchemy import Integer, Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Category, Product
from services.catalog_reads import (
    MAX_ID,
    _path_shown,
    in_category,
    keyset,
    listed,
    shown_category_ids,
)
from services.catalog_search import matches, search_terms, uses_fts
from services.categories import MAX_LEVELS

MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ProductSummary:
    """A product as a list shows it."""

    id: int
    name: str
    slug: str
    price: Decimal
    stock: int
    category_id: int
    rating_sum: int
    rating_count: int
    has_photo: bool  # the seller sent one (the web API serves it)


@dataclass(frozen=True, slots=True)
class ProductPage:
    items: list[ProductSummary]
    next: int | None  # the cursor of the next page (None: this is the last)


@dataclass(slots=True)
class CategoryNode:
    id: int
    name: str
    slug: str
    parent_id: int | None
    is_active: bool
    product_count: int
    children: list["CategoryNode"] = field(default_factory=list)


def _shown(top: list[CategoryNode]) -> list[CategoryNode]:
    """The tree without hidden categories: a hidden one takes everything under it."""
    top = [n for n in top if n.is_active]
    stack = list(top)
    while stack:
        node = stack.pop()
        node.children = [n for n in node.children if n.is_active]
        stack.extend(node.children)
    return top


def _capped(top: list[CategoryNode]) -> list[CategoryNode]:
    """The tree at most MAX_LEVELS deep. Only a database from before that limit, or
    edited by hand, holds a deeper one: what lies below the last level is listed on it,
    right after its ancestor there, depth first (each keeps its real `parent_id`).
    Walked without recursion, so no depth breaks the answer."""
    stack = [(top, 1)]
    while stack:
        level, depth = stack.pop()
        if depth < MAX_LEVELS:
            stack.extend((n.children, depth + 1) for n in level)
            continue
        flat: list[CategoryNode] = []
        todo = level[::-1]
        while todo:
            flat.append(node := todo.pop())
            todo.extend(node.children[::-1])
            node.children = []
        level[:] = flat
    return top


_SUMMARY = (
    Product.id,
    Product.name,
    Product.slug,
    Product.price,
    Product.stock,
    Product.category_id,
    Product.rating_sum,
    Product.rating_count,
    Product.photo_file_id.is_not(None),
)


@cache
def _category_page(limit: int) -> Select:
    """One keyset page of a shown category's listed products (the benchmark's subject)."""
    category_id = bindparam("category_id", type_=Integer)
    # The bot's category-screen check: a walk up from this one category (a few primary
    # key steps, once per statement), not over the whole tree.
    anchor = select(Category.id, Category.parent_id, Category.is_active).where(
        Category.id == category_id
    )
    base = select(*_SUMMARY).where(in_category(category_id), _path_shown(anchor))
    return keyset(base, limit, within=Product.category_id)[0]


class ListingService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def products(
        self, *, category_id: int | None, query: str | None, after: int, limit: int
    ) -> ProductPage:
        """Shown products by id, `limit` after the cursor `after`, of one category
        (directly in it, as the bot's category screen lists them) and/or matching every
        word of `query`. A hidden or unknown category lists nothing."""
        limit = min(max(limit, 1), MAX_LIMIT)
        after = min(max(after, 0), MAX_ID)
        terms = search_terms(query) if query else []
        if category_id is not None and not terms:
            if not 0 < category_id <= MAX_ID:
                return ProductPage([], None)
            stmt = _category_page(limit)
            params = {"category_id": category_id, "after": after}
            rows = (await self.session.execute(stmt, params)).all()
        else:
            where = [listed(), Product.category_id.in_(shown_category_ids())]
            if category_id is not None:
                where.append(Product.category_id == min(max(category_id, 0), MAX_ID))
            if terms:
                where.append(matches(terms, await uses_fts(self.session)))
            stmt = keyset(select(*_SUMMARY).where(and_(*where)), limit)[0]
            rows = (await self.session.execute(stmt, {"after": after})).all()
        items = [ProductSummary(*r) for r in rows[:limit]]
        return ProductPage(items, items[-1].id if len(rows) > limit else None)

    async def id_by_slug(self, slug: str) -> int | None:
        return await self.session.scalar(select(Product.id).where(Product.slug == slug[:280]))

    async def category_tree(self, include_hidden: bool) -> list[CategoryNode]:
        """The tree, each level in menu order. Customers (`include_hidden` False) see only
        shown categories: a hidden one hides everything under it, as in the bot."""
        rows = (
            await self.session.execute(
                select(
                    Category.id,
                    Category.name,
                    Category.slug,
                    Category.parent_id,
                    Category.is_active,
                    Category.product_count,
                ).order_by(Category.position, Category.id)
            )
        ).all()
        nodes = {r.id: CategoryNode(*r) for r in rows}
        top: list[CategoryNode] = []
        for node in nodes.values():
            parent = nodes.get(node.parent_id) if node.parent_id is not None else None
            (parent.children if parent else top).append(node)
        return _capped(top if include_hidden else _shown(top))

    async def category_subtree(self, category_id: int) -> CategoryNode | None:
        """One category with everything under it, hidden ones included (for admins)."""
        stack = await self.category_tree(include_hidden=True)
        while stack:
            if (node := stack.pop()).id == category_id:
                return node
            stack.extend(node.children)
        return None
