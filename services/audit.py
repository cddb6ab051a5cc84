from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Category, Product, User
from services.access import require_admin

# The keys of an entry's `before` and `after` that hold a category's, a user's and a
# product's id: the page names them (an id is the database's, nobody else's).
CATEGORY_KEYS = ("category", "category_id", "parent_id")
PERSON_KEYS = ("user_id",)
PRODUCT_KEYS = ("product_id",)


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]  # newest first
    people: dict[int, User]  # the actors and the users acted on, by id
    older_than: int | None  # the cursor of the next, older page (None: this is the last)
    categories: dict[int, str]  # the names of the categories the entries name, by id
    products: dict[int, str]  # and of the products


class AuditService:
    """The record of admin and moderator actions. Written in the action's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self,
        actor: User | None,
        action: str,
        target_type: str,
        target_id: int | None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            actor_id=actor.id if actor else None,
            action=action,
            target_type=target_type,
            target_id=target_id,
            before=before,
            after=after,
        )
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def latest_with_people(
        self, actor: User, limit: int = 20, before_id: int | None = None
    ) -> AuditPage:
        """A page of the log, newest first (older than `before_id`), for admins only."""
        require_admin(actor)
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
        if before_id is not None:
            stmt = stmt.where(AuditEntry.id < before_id)
        rows = list(await self.session.scalars(stmt))
        entries = rows[:limit]
        ids = (
            {e.actor_id for e in entries if e.actor_id}
            | {e.target_id for e in entries if e.target_type == "user" and e.target_id}
            | _named(entries, PERSON_KEYS)
        )
        people = {}
        if ids:
            people = {
                u.id: u for u in await self.session.scalars(select(User).where(User.id.in_(ids)))
            }
        older_than = entries[-1].id if len(rows) > limit else None
        categories = await self._names(Category, _named(entries, CATEGORY_KEYS))
        products = await self._names(Product, _named(entries, PRODUCT_KEYS))
        return AuditPage(entries, people, older_than, categories, products)

    async def _names(self, model: type[Category] | type[Product], ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = await self.session.execute(select(model.id, model.name).where(model.id.in_(ids)))
        return {row_id: name for row_id, name in rows}


def _named(entries: list[AuditEntry], keys: tuple[str, ...]) -> set[int]:
    """The ids the entries' `before` and `after` hold under `keys`."""
    return {
        value
        for e in entries
        for side in (e.before or {}, e.after or {})
        for key, value in side.items()
        if key in keys and isinstance(value, int)
    }
