"""Messages the bot owes for changes made through the web API: the API's process has
no bot to send them, so it records them here, in the change's transaction, and the
bot's process sends them (jobs/notices.py). A review posted or edited on the website
reaches the seller and the admins as one made in the chat does (an edit into spam is
moderated too); a role set there is told to its user."""

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.sql import insert_new
from models import NoticeKind, PendingNotice


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    subject_id: int
    actor_id: int | None


class NoticeService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def owe(self, kind: NoticeKind, subject_id: int, actor_id: int | None = None) -> None:
        """Once per kind and subject until it is sent (a pending one will show the change
        too); atomic, so two requests at once queue one."""
        values = {"kind": kind.value, "subject_id": subject_id, "actor_id": actor_id}
        table = PendingNotice.__table__
        await self.session.execute(
            insert_new(self.session, table, values, keys=("kind", "subject_id"))  # type: ignore[arg-type]
        )

    async def forget_review(self, review_id: int) -> None:
        """A review deleted: nobody is told about it (SQLite may give its id to the next
        review, which would then be told twice)."""
        kinds = (NoticeKind.review_new, NoticeKind.review_edited)
        await self.session.execute(
            delete(PendingNotice).where(
                PendingNotice.kind.in_(kinds), PendingNotice.subject_id == review_id
            )
        )

    async def claim(self, limit: int) -> list[Notice]:
        """Up to `limit` notices, oldest first, taken off the table: each is sent once
        (on PostgreSQL, workers claiming at once skip each other's rows). One the sender
        crashes with is lost, as an alert in flight is, rather than sent twice."""
        ids = (
            select(PendingNotice.id)
            .order_by(PendingNotice.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = await self.session.execute(
            delete(PendingNotice)
            .where(PendingNotice.id.in_(ids.scalar_subquery()))
            .returning(
                PendingNotice.id,
                PendingNotice.kind,
                PendingNotice.subject_id,
                PendingNotice.actor_id,
            )
        )
        found = sorted(rows.all())
        return [Notice(NoticeKind(kind), subject, actor) for _id, kind, subject, actor in found]
