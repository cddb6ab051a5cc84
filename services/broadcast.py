"""Broadcasts: the admin's draft, its audience, and the durable queue the sender drains.

Delivery is AT MOST ONCE, so nobody gets a broadcast twice:
- a batch of recipient rows is claimed (pending -> sending) and committed BEFORE their
  messages go out; results (sending -> sent/failed) are committed after, together with
  the claim of the next batch (one transaction per batch);
- a sender stopped cleanly (its task cancelled, e.g. at shutdown) records what it sent
  and puts the rows it had not started back to pending: after a restart each of those is
  sent exactly once;
- a process killed between claim and result leaves rows in `sending`. Whether Telegram
  delivered them nobody can know (the Bot API has no idempotency key), so on resume they
  are counted as failed and never resent. The window is one claimed batch
  (`broadcast_batch_size`, about two seconds at 25 messages/s). Committing each row right
  after its send would shrink the window to the messages in flight, but cost a commit per
  message and still not close it.
Every result update is guarded by `status = 'sending'`, so counters stay exact even if two
senders ever meet over one broadcast.
"""

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Audience,
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientStatus,
    User,
)
from models.base import utcnow
from services.access import require_admin
from services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from services.texts import N_
from services.validation import check_shown, visible

_r = BroadcastRecipient.__table__
_b = Broadcast.__table__


class AlreadyStarted(DomainError):
    message = N_("This broadcast has already been sent or cancelled.")


class NoRecipients(DomainError):
    message = N_("Nobody to send to: no active users in this audience.")


class Outcome(StrEnum):
    sent = "sent"
    failed = "failed"
    blocked = "blocked"  # Telegram said 403: the user blocked the bot


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    user_id: int
    telegram_id: int


@dataclass(frozen=True, slots=True)
class Progress:
    """A broadcast's counters and status, as committed."""

    status: BroadcastStatus
    total: int
    sent: int
    failed: int
    blocked: int

    @property
    def left(self) -> int:
        return max(self.total - self.sent - self.failed, 0)


class BroadcastService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- the admin's side ------------------------------------------------------------

    # The one admin rule (banned admins are refused too).
    _require_admin = staticmethod(require_admin)

    async def draft(self, author: User, broadcast_id: int) -> Broadcast:
        """The author's draft; anything else (someone else's, already sent) is refused."""
        self._require_admin(author)
        broadcast = await self.session.get(Broadcast, broadcast_id)
        if broadcast is None:
            raise NotFound()
        if broadcast.author_id != author.id:
            raise NotAllowed()
        if broadcast.status is not BroadcastStatus.draft:
            raise AlreadyStarted()
        return broadcast

    async def save_draft(
        self, author: User, text: str, photo_file_id: str | None, broadcast_id: int | None = None
    ) -> Broadcast:
        """A new draft, or new content for the author's draft `broadcast_id`.

        `text` is Telegram HTML (the admin's formatting), sent as it is.
        """
        self._require_admin(author)
        if not visible(text) and photo_file_id is None:
            raise InvalidInput()
        check_shown(text)  # every customer reads it
        if broadcast_id:
            broadcast = await self.draft(author, broadcast_id)
        else:
            broadcast = Broadcast(author_id=author.id, audience=Audience.everyone)
            self.session.add(broadcast)
        broadcast.text = text
        broadcast.photo_file_id = photo_file_id
        await self.session.flush()
        return broadcast

    async def set_audience(self, author: User, broadcast_id: int, audience: Audience) -> Broadcast:
        broadcast = await self.draft(author, broadcast_id)
        broadcast.audience = audience
        await self.session.flush()
        return broadcast

    @staticmethod
    def _audience_filter(audience: Audience) -> list:
        where = [User.is_active.is_(True), User.is_banned.is_(False)]
        if audience is not Audience.everyone:
            where.append(User.language == audience.value)
        return where

    async def count_audience(self, audience: Audience) -> int:
        stmt = select(func.count()).select_from(User).where(*self._audience_filter(audience))
        return await self.session.scalar(stmt) or 0

    async def start(
        self, author: User, broadcast_id: int, chat_id: int, message_id: int | None
    ) -> Broadcast:
        """Draft -> running: one INSERT ... SELECT queues every recipient.

        `chat_id`/`message_id`: the admin's message the sender keeps editing with progress.
        """
        broadcast = await self.draft(author, broadcast_id)
        if await self.count_audience(broadcast.audience) == 0:
            raise NoRecipients()
        # Conditional, so a second Confirm (double tap, two admins' windows) can't queue twice.
        started = await self.session.execute(
            update(_b)
            .where(_b.c.id == broadcast.id, _b.c.status == BroadcastStatus.draft.name)
            .values(
                status=BroadcastStatus.running.name,
                started_at=utcnow(),
                progress_chat_id=chat_id,
                progress_message_id=message_id,
            )
        )
        if started.rowcount != 1:
            raise AlreadyStarted()
        users = (
            select(
                literal(broadcast.id),
                User.id,
                User.telegram_id,
                literal(RecipientStatus.pending.name),
            )
            .where(*self._audience_filter(broadcast.audience))
            .order_by(User.id)
        )
        await self.session.execute(
            insert(_r).from_select(["broadcast_id", "user_id", "telegram_id", "status"], users)
        )
        total = await self.session.scalar(
            select(func.count()).select_from(_r).where(_r.c.broadcast_id == broadcast.id)
        )
        await self.session.execute(
            update(_b).where(_b.c.id == broadcast.id).values(total=total or 0)
        )
        await self.session.refresh(broadcast)
        return broadcast

    async def stop(self, actor: User, broadcast_id: int) -> Broadcast:
        """Any admin may stop a running broadcast; the sender notices within one batch."""
        self._require_admin(actor)
        broadcast = await self.session.get(Broadcast, broadcast_id)
        if broadcast is None:
            raise NotFound()
        if broadcast.status is not BroadcastStatus.running:
            raise AlreadyStarted()
        broadcast.status = BroadcastStatus.cancelled
        broadcast.finished_at = utcnow()
        await self.session.flush()
        return broadcast

    # -- the sender's side -----------------------------------------------------------

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id)

    async def author_language(self, broadcast: Broadcast) -> str | None:
        if broadcast.author_id is None:
            return None
        return await self.session.scalar(
            select(User.language).where(User.id == broadcast.author_id)
        )

    async def refresh_statistics(self) -> None:
        """PostgreSQL plans the claim from table statistics; right after 100,000 rows are
        queued they still say "empty", and the claim then sorts the whole broadcast each
        time (~90 ms instead of ~0.5 ms). One ANALYZE before sending sets that right."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text(f"ANALYZE {_r.name}"))

    async def running_ids(self) -> list[int]:
        stmt = select(_b.c.id).where(_b.c.status == BroadcastStatus.running.name).order_by(_b.c.id)
        return list(await self.session.scalars(stmt))

    async def recover(self, broadcast_id: int) -> int:
        """After a crash: rows left in `sending` may have been delivered; count them failed."""
        lost = await self._mark(broadcast_id, None, RecipientStatus.failed, all_sending=True)
        if lost:
            await self._add(broadcast_id, failed=lost)
        return lost

    async def claim(self, broadcast_id: int, limit: int, after_user_id: int = 0) -> list[Claimed]:
        """The next `limit` pending rows after `after_user_id`, now `sending`, in user order
        (rows another sender holds are skipped; [] only when none is left). The rows of
        users banned since the broadcast started are counted failed, never sent: the ban
        is read here, as each batch is claimed, so a row claimed before the ban and given
        back at a stop is caught too (a claimed batch in flight, a second's worth, isn't)."""
        while True:
            claimed = await self._claim(broadcast_id, limit, after_user_id)
            if not claimed:
                return []
            banned = set(
                await self.session.scalars(
                    select(User.id).where(
                        User.id.in_([c.user_id for c in claimed]), User.is_banned.is_(True)
                    )
                )
            )
            if not banned:
                return claimed
            skipped = [c.id for c in claimed if c.user_id in banned]
            await self._add(
                broadcast_id, failed=await self._mark(broadcast_id, skipped, RecipientStatus.failed)
            )
            kept = [c for c in claimed if c.user_id not in banned]
            if kept:
                return kept
            after_user_id = claimed[-1].user_id  # a batch of banned users only: the next

    async def _claim(self, broadcast_id: int, limit: int, after_user_id: int) -> list[Claimed]:
        """The cursor keeps each claim an index range scan of (broadcast_id, user_id)
        instead of a walk over the rows already sent."""
        next_ids = (
            select(_r.c.id)
            .where(
                _r.c.broadcast_id == broadcast_id,
                _r.c.user_id > after_user_id,
                _r.c.status == RecipientStatus.pending.name,
            )
            .order_by(_r.c.user_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = await self.session.execute(
            update(_r)
            .where(_r.c.id.in_(next_ids))
            .values(status=RecipientStatus.sending.name)
            .returning(_r.c.id, _r.c.user_id, _r.c.telegram_id)
        )
        return sorted((Claimed(*row) for row in rows), key=lambda c: c.user_id)

    async def record(
        self,
        broadcast_id: int,
        results: dict[Claimed, Outcome],
        release: list[Claimed] | None = None,
        unknown: list[Claimed] | None = None,
    ) -> Progress:
        """Results of sent rows; `release`: claimed but never tried (back to pending);
        `unknown`: interrupted mid-send (failed, never resent). Returns the new counters."""
        by_outcome: dict[Outcome, list[int]] = {o: [] for o in Outcome}
        for claimed, outcome in results.items():
            by_outcome[outcome].append(claimed.id)
        sent = await self._mark(broadcast_id, by_outcome[Outcome.sent], RecipientStatus.sent)
        failed = await self._mark(
            broadcast_id,
            by_outcome[Outcome.failed] + [c.id for c in unknown or ()],
            RecipientStatus.failed,
        )
        blocked = await self._mark(
            broadcast_id, by_outcome[Outcome.blocked], RecipientStatus.failed
        )
        blocked_users = [c.user_id for c, o in results.items() if o is Outcome.blocked]
        if blocked_users:
            # Blocked the bot: skipped by the next broadcasts.
            await self.session.execute(
                update(User.__table__)
                .where(User.__table__.c.id.in_(blocked_users))
                .values(is_active=False)
            )
        if release:
            await self._mark(broadcast_id, [c.id for c in release], RecipientStatus.pending)
        return await self._add(broadcast_id, sent=sent, failed=failed + blocked, blocked=blocked)

    async def finish(self, broadcast_id: int) -> Progress:
        """Running -> done (a stopped broadcast stays cancelled)."""
        await self.session.execute(
            update(_b)
            .where(_b.c.id == broadcast_id, _b.c.status == BroadcastStatus.running.name)
            .values(status=BroadcastStatus.done.name, finished_at=utcnow())
        )
        return await self._add(broadcast_id)

    async def _mark(
        self,
        broadcast_id: int,
        ids: list[int] | None,
        status: RecipientStatus,
        *,
        all_sending: bool = False,
    ) -> int:
        if not ids and not all_sending:
            return 0
        # By primary key when the rows are known (the composite index would be slower).
        stmt = update(_r).where(_r.c.status == RecipientStatus.sending.name)
        if all_sending:
            stmt = stmt.where(_r.c.broadcast_id == broadcast_id)
        else:
            stmt = stmt.where(_r.c.id.in_(ids))
        result = await self.session.execute(stmt.values(status=status.name))
        return result.rowcount or 0

    async def _add(self, broadcast_id: int, sent: int = 0, failed: int = 0, blocked: int = 0):
        stmt = (
            update(_b)
            .where(_b.c.id == broadcast_id)
            .values(
                sent=_b.c.sent + sent, failed=_b.c.failed + failed, blocked=_b.c.blocked + blocked
            )
            .returning(_b.c.status, _b.c.total, _b.c.sent, _b.c.failed, _b.c.blocked)
        )
        row = (await self.session.execute(stmt)).one()
        return Progress(BroadcastStatus(row.status), row.total, row.sent, row.failed, row.blocked)
