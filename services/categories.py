"""Category tree management for admins: create, rename, move, reorder, hide, delete.

Every method takes the acting user and checks they are an admin (forged buttons), and
records the change in the audit log.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models import Category, Product, PromoCode, User
from models.product import search_fold
from services.access import require_admin
from services.audit import AuditService
from services.errors import InvalidInput, NotFound
from services.restock import RestockService
from services.slugs import unique_slug
from services.texts import N_, Nn_
from services.validation import check_shown, visible

NAME_LIMIT = 100
DEPTH_LIMIT = 100  # a cycle in the data can't hang the bot
MAX_LEVELS = 20  # levels of the tree, the top one included (more is no shop's need)
TOO_DEEP = N_("Categories can be nested at most {max} levels deep.")
# The PostgreSQL advisory lock ("ct", 1) that lets one category move run at a time.
MOVE_LOCK = {"ns": 0x6374, "id": 1}


async def ancestry(session: AsyncSession, category_id: int, fresh: bool = False) -> list[Category]:
    """The category and its ancestors, root first, hidden ones included ([]: no such
    category). The one walk up the tree, for admins and sellers alike. `fresh` reads
    the rows again instead of trusting the ones the session already holds."""
    chain: list[Category] = []
    next_id: int | None = category_id
    while next_id is not None and len(chain) < DEPTH_LIMIT:
        category = await session.get(Category, next_id, populate_existing=fresh)
        if category is None:
            break
        chain.append(category)
        next_id = category.parent_id
    return chain[::-1]


def _under(parent_id: int | None):
    """The WHERE clause for the children of `parent_id` (None: the top level)."""
    return Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id


@dataclass(frozen=True, slots=True)
class TreeItem:
    """A category in a flat listing of the tree, with its depth for indentation."""

    id: int
    name: str
    depth: int
    is_active: bool

    @property
    def indent(self) -> int:
        """The depth to show: a tree from before MAX_LEVELS may be deeper."""
        return min(self.depth, MAX_LEVELS - 1)


@dataclass(frozen=True, slots=True)
class CategoryLevel:
    """A level of the tree as the admin sees it: the top (`category` None) or a category
    with its path, subcategories and place among its siblings."""

    category: Category | None
    children: list[Category]
    chain: list[Category] = field(default_factory=list)  # root first, the category last
    place: int = 0  # 1-based, among `siblings`
    siblings: int = 0
    products: int = 0  # product rows, deleted ones too


class CategoryService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.audit = AuditService(session)

    # -- reading ---------------------------------------------------------------------

    async def level(self, actor: User, category_id: int) -> CategoryLevel:
        """The top level (0) or a category, with what its admin screen shows."""
        if not category_id:
            return CategoryLevel(None, await self.children(actor, None))
        category = await self.get(actor, category_id)
        chain = await self.path(actor, category)
        children = await self.children(actor, category.id)
        siblings = await self.children(actor, category.parent_id)
        products, _subs = await self.counts(category.id)
        place = next(i for i, c in enumerate(siblings) if c.id == category.id) + 1
        return CategoryLevel(category, children, chain, place, len(siblings), products)

    async def get(self, actor: User, category_id: int, fresh: bool = False) -> Category:
        """`fresh`: read the row again even if the session holds it already."""
        require_admin(actor)
        category = await self.session.get(Category, category_id, populate_existing=fresh)
        if category is None:
            raise NotFound(N_("This category no longer exists."))
        return category

    async def children(self, actor: User, parent_id: int | None) -> list[Category]:
        """Direct subcategories, hidden ones included, in their display order."""
        require_admin(actor)
        stmt = select(Category).where(_under(parent_id)).order_by(Category.position, Category.id)
        return list(await self.session.scalars(stmt))

    async def path(self, actor: User, category: Category) -> list[Category]:
        """The ancestors of `category`, root first, then the category itself."""
        require_admin(actor)
        return await ancestry(self.session, category.id)

    async def tree(self, actor: User) -> list[TreeItem]:
        """The whole tree, depth first, each level in display order. One SELECT."""
        require_admin(actor)
        columns = (Category.id, Category.name, Category.parent_id, Category.is_active)
        by_parent: dict[int | None, list] = {}
        for row in await self.session.execute(
            select(*columns).order_by(Category.position, Category.id)
        ):
            by_parent.setdefault(row.parent_id, []).append(row)
        out: list[TreeItem] = []
        todo = [(row, 0) for row in reversed(by_parent.get(None, []))]
        while todo:  # depth first, without recursion: no depth of old data breaks it
            row, depth = todo.pop()
            out.append(TreeItem(row.id, row.name, depth, row.is_active))
            todo.extend((child, depth + 1) for child in reversed(by_parent.get(row.id, [])))
        return out

    async def move_targets(self, actor: User, category_id: int) -> list[TreeItem]:
        """Where a category may go: anywhere but under itself or its descendants."""
        items = await self.tree(actor)
        out: list[TreeItem] = []
        skip_below: int | None = None
        for item in items:
            if skip_below is not None and item.depth > skip_below:
                continue
            skip_below = None
            if item.id == category_id:
                skip_below = item.depth
                continue
            out.append(item)
        return out

    async def counts(self, category_id: int) -> tuple[int, int]:
        """(product rows, subcategories) of a category; deleted products count too."""
        products = await self.session.scalar(
            select(func.count()).select_from(Product).where(Product.category_id == category_id)
        )
        children = await self.session.scalar(
            select(func.count()).select_from(Category).where(Category.parent_id == category_id)
        )
        return products or 0, children or 0

    # -- changes ---------------------------------------------------------------------

    async def create(self, actor: User, name: str, parent_id: int | None = None) -> Category:
        require_admin(actor)
        name = self._clean_name(name)
        if parent_id is not None and await self.session.get(Category, parent_id) is None:
            raise NotFound(N_("Its parent category has been deleted: nothing was created."))
        if parent_id is not None:
            await self._take_turns()
            await self.check_room_under(parent_id, fresh=True)
        await self._check_name_free(name, parent_id)
        category = Category(
            name=name,
            slug=await unique_slug(self.session, Category.slug, name),
            parent_id=parent_id,
            position=await self._next_position(parent_id),
        )
        self.session.add(category)
        await self.session.flush()
        await self.audit.record(
            actor, "category.create", "category", category.id, None, self._state(category)
        )
        return category

    async def check_room_under(self, parent_id: int, fresh: bool = False) -> None:
        """Refuses a subcategory under a category at the deepest level (MAX_LEVELS)."""
        if len(await ancestry(self.session, parent_id, fresh)) >= MAX_LEVELS:
            raise InvalidInput(TOO_DEEP, max=MAX_LEVELS)

    async def rename(self, actor: User, category_id: int, name: str) -> Category:
        category = await self.get(actor, category_id)
        name = self._clean_name(name)
        if name == category.name:
            return category
        await self._check_name_free(name, category.parent_id, exclude_id=category.id)
        before = {"name": category.name, "slug": category.slug}
        category.name = name
        category.slug = await unique_slug(self.session, Category.slug, name, exclude_id=category.id)
        await self.session.flush()
        await self.audit.record(
            actor,
            "category.rename",
            "category",
            category.id,
            before,
            {"name": category.name, "slug": category.slug},
        )
        return category

    async def move(self, actor: User, category_id: int, parent_id: int | None) -> Category:
        require_admin(actor)
        await self._take_turns()
        category = await self.get(actor, category_id, fresh=True)
        if parent_id == category.parent_id:
            return category
        if parent_id is not None:
            parent = await self.get(actor, parent_id, fresh=True)
            # Walk up from the new parent: meeting the category means a cycle.
            chain = await ancestry(self.session, parent.id, fresh=True)
            if any(c.id == category.id for c in chain):
                raise InvalidInput(N_("A category can't go under itself or its subcategory."))
            if len(chain) + await self._levels(category.id) > MAX_LEVELS:  # (a cut chain too)
                raise InvalidInput(TOO_DEEP, max=MAX_LEVELS)
        await self._check_name_free(category.name, parent_id, exclude_id=category.id)
        before = {"parent_id": category.parent_id, "position": category.position}
        old_parent = category.parent_id
        category.parent_id = parent_id
        category.position = await self._next_position(parent_id)
        await self.session.flush()
        await self._renumber(old_parent)
        await RestockService(self.session).back_in_view()  # maybe out from under a hidden one
        await self.audit.record(
            actor,
            "category.move",
            "category",
            category.id,
            before,
            {"parent_id": category.parent_id, "position": category.position},
        )
        return category

    async def shift(self, actor: User, category_id: int, step: int) -> Category:
        """Move a category up (step -1) or down (+1) among its siblings."""
        category = await self.get(actor, category_id)
        if step not in (-1, 1):
            raise InvalidInput()
        siblings = await self.children(actor, category.parent_id)
        index = next(i for i, c in enumerate(siblings) if c.id == category.id)
        other = index + step
        if not 0 <= other < len(siblings):
            raise InvalidInput(
                N_("It is already the first.") if step < 0 else N_("It is already the last.")
            )
        before = category.position
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, sibling in enumerate(siblings):
            sibling.position = position
        await self.session.flush()
        await self.audit.record(
            actor,
            "category.reorder",
            "category",
            category.id,
            {"position": before},
            {"position": category.position},
        )
        return category

    async def set_visible(self, actor: User, category_id: int, visible: bool) -> Category:
        category = await self.get(actor, category_id)
        if category.is_active == visible:
            return category
        category.is_active = visible
        await self.session.flush()
        if visible:
            await RestockService(self.session).back_in_view()
        await self.audit.record(
            actor,
            "category.show" if visible else "category.hide",
            "category",
            category.id,
            {"is_active": not visible},
            {"is_active": visible},
        )
        return category

    async def check_deletable(self, actor: User, category_id: int) -> Category:
        """The category, if it is empty; otherwise says what is in the way."""
        category = await self.get(actor, category_id)
        products, children = await self.counts(category.id)
        if children:
            raise InvalidInput(
                Nn_(
                    "This category has {count} subcategory: move or delete it first.",
                    "This category has {count} subcategories: move or delete them first.",
                ),
                count=children,
            )
        if products:
            raise InvalidInput(
                Nn_(
                    "This category has {count} product (deleted ones included): "
                    "it can't be deleted. Hide it instead.",
                    "This category has {count} products (deleted ones included): "
                    "it can't be deleted. Hide it instead.",
                ),
                count=products,
            )
        codes = list(
            await self.session.scalars(
                select(PromoCode.code).where(PromoCode.category_id == category.id).limit(4)
            )
        )
        if codes:  # without its category, a code would take its discount off everything
            raise InvalidInput(
                Nn_(
                    "Promo code {codes} is only for this category: it can't be deleted. "
                    "Hide it instead.",
                    "Promo codes {codes} are only for this category: it can't be deleted. "
                    "Hide it instead.",
                ),
                count=len(codes),
                codes=", ".join(codes[:3]) + (", …" if len(codes) > 3 else ""),
            )
        return category

    async def delete(self, actor: User, category_id: int) -> int | None:
        """Deletes an empty category; returns its parent's id (None: the top level)."""
        category = await self.check_deletable(actor, category_id)
        parent_id = category.parent_id
        before = self._state(category)
        await self.session.delete(category)
        await self.session.flush()
        await self._renumber(parent_id)
        await self.audit.record(actor, "category.delete", "category", category_id, before, None)
        return parent_id

    # -- helpers ---------------------------------------------------------------------

    async def _take_turns(self) -> None:
        """Changes to the tree's shape take turns on PostgreSQL, each reading the tree as
        the last one left it: two moves checked at once could make a cycle together (A
        under B, B under A), a move and a create a tree too deep. SQLite lets one writer
        at a time anyway."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:ns, :id)"), MOVE_LOCK)

    async def _levels(self, category_id: int) -> int:
        """The levels of the category's subtree, itself included (counted to MAX_LEVELS + 1)."""
        levels, level = 1, {category_id}
        while levels <= MAX_LEVELS:
            stmt = select(Category.id).where(Category.parent_id.in_(level))
            if not (level := set(await self.session.scalars(stmt))):
                break
            levels += 1
        return levels

    @staticmethod
    def _clean_name(name: str) -> str:
        typed, name = name.strip(), " ".join(name.split())
        if not visible(name):
            raise InvalidInput(N_("The name can't be empty."))
        check_shown(typed, one_line=True)  # before the lines were joined
        if len(name) > NAME_LIMIT:
            raise InvalidInput(
                N_("The name is too long: {limit} characters at most."), limit=NAME_LIMIT
            )
        return name

    async def _check_name_free(
        self, name: str, parent_id: int | None, exclude_id: int | None = None
    ) -> None:
        # Compared in Python: SQLite's lower() knows only ASCII, and names are Cyrillic too.
        # As search reads them, so names that look the same are the same ("Чай" and a
        # pasted "Чай" with a zero-width space, a decomposed "й", full-width letters).
        stmt = select(Category.id, Category.name).where(_under(parent_id))
        wanted = search_fold(name)
        rows = (await self.session.execute(stmt)).all()
        if any(search_fold(r.name) == wanted and r.id != exclude_id for r in rows):
            raise InvalidInput(N_("There is already a category with this name here."))

    async def _next_position(self, parent_id: int | None) -> int:
        last = await self.session.scalar(
            select(func.max(Category.position)).where(_under(parent_id))
        )
        return 0 if last is None else last + 1

    async def _renumber(self, parent_id: int | None) -> None:
        """Closes the gap a category leaves among its old siblings."""
        stmt = select(Category).where(_under(parent_id)).order_by(Category.position, Category.id)
        for position, sibling in enumerate(await self.session.scalars(stmt)):
            sibling.position = position
        await self.session.flush()

    @staticmethod
    def _state(category: Category) -> dict:
        return {
            "name": category.name,
            "slug": category.slug,
            "parent_id": category.parent_id,
            "is_active": category.is_active,
        }
