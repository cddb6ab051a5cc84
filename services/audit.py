from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, User


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

    async def latest(self, limit: int = 20, before_id: int | None = None) -> list[AuditEntry]:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if before_id is not None:
            stmt = stmt.where(AuditEntry.id < before_id)
        return list(await self.session.scalars(stmt))
