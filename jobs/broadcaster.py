"""The background sender of broadcasts: one asyncio task per running broadcast.

It never runs inside an update: it opens its own short sessions from the pool (one
transaction per batch), so update handling is never blocked by it. Delivery rules and the
crash story live in services/broadcast.py (at most once: nobody gets a message twice).
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.utils.i18n import I18n
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.lease import LeaseLost, Leases, create_leases
from models import BroadcastStatus
from screens.base import Screen
from screens.broadcast import progress_screen, report_text
from services.broadcast import BroadcastService, Claimed, Outcome, Progress

log = logging.getLogger(__name__)

# A recipient Telegram keeps answering 429 for is given up after this many tries.
MAX_ATTEMPTS = 5

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]


async def deliver(bot: Bot, chat_id: int, text: str, photo_file_id: str | None) -> None:
    """What every recipient gets; the admin's preview goes through here too."""
    if photo_file_id:
        await bot.send_photo(chat_id, photo_file_id, caption=text or None)
    else:
        await bot.send_message(chat_id, text)


class RateLimiter:
    """At most `rate` sends a second, evenly spaced (no bursts: Telegram counts per second).

    Each caller reserves the next free slot without awaiting first, so concurrent senders
    share the rate fairly. `pause()` (Telegram's retry_after) holds everyone. 0 = no limit.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.interval = 1 / rate if rate > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0

    async def acquire(self) -> None:
        while True:
            now = self.clock()
            if now < self._paused_until:
                await self.sleep(self._paused_until - now)
                continue
            if not self.interval:
                return
            slot = max(now, self._next)
            self._next = slot + self.interval
            if slot > now:
                await self.sleep(slot - now)
                if self.clock() < self._paused_until:
                    continue  # a 429 arrived while we waited: the slot is void
            return

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)


class Pace(Protocol):
    """How fast the sender goes: the few settings it reads (`bot.config.Settings` has
    them; jobs don't import the shell, so the factory passes them in)."""

    @property
    def broadcast_rate(self) -> float: ...  # messages a second, 0: no limit
    @property
    def broadcast_batch_size(self) -> int: ...  # recipients claimed per transaction
    @property
    def broadcast_concurrency(self) -> int: ...  # sends in flight at once
    @property
    def broadcast_progress_interval(self) -> float: ...  # seconds between progress edits


@dataclass
class _Job:
    id: int
    bot: Bot
    text: str
    photo_file_id: str | None
    chat_id: int | None
    message_id: int | None
    locale: str
    progress: Progress
    shown: str = ""
    after: int = 0  # the user_id the last claim ended at
    started: set[Claimed] = field(default_factory=set)


class Broadcaster:
    def __init__(
        self,
        pool: async_sessionmaker[AsyncSession],
        pace: Pace,
        i18n: I18n,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        leases: Leases | None = None,
    ) -> None:
        self.pool = pool
        self.i18n = i18n
        # One sender per broadcast across processes (see jobs/lease.py).
        self.leases = leases or create_leases(pool.kw["bind"], None, "bot", 30.0)
        # Told (id, before, after) each time a batch's results are recorded: metrics.
        self.observe: Callable[[int, Progress, Progress], None] | None = None
        self.batch_size = pace.broadcast_batch_size
        self.concurrency = pace.broadcast_concurrency
        self.progress_interval = pace.broadcast_progress_interval
        self.limiter = RateLimiter(pace.broadcast_rate, clock=clock, sleep=sleep)
        self.tasks: dict[int, asyncio.Task[None]] = {}

    # -- control ---------------------------------------------------------------------

    def start(self, broadcast_id: int, bot: Bot) -> asyncio.Task[None]:
        task = self.tasks.get(broadcast_id)
        if task is None or task.done():
            task = asyncio.create_task(
                self._run(broadcast_id, bot), name=f"broadcast-{broadcast_id}"
            )
            task.add_done_callback(_log_failure)
            self.tasks[broadcast_id] = task
        return task

    def start_after_commit(self, session: AsyncSession, broadcast_id: int, bot: Bot) -> None:
        """Starts the sender once the update's transaction (which queued it) commits: it
        could not see the recipients before, and on a rollback there is nothing to send."""
        event.listen(
            session.sync_session,
            "after_commit",
            lambda _session: self.start(broadcast_id, bot),
            once=True,
        )

    async def resume(self, bot: Bot) -> list[int]:
        """At start-up: continue every running broadcast (each settles its crash first)."""
        async with self.pool() as session:
            ids = await BroadcastService(session).running_ids()
        for broadcast_id in ids:
            self.start(broadcast_id, bot)
        return ids

    async def watch(self, bot: Bot, every: float) -> None:
        """Every `every` seconds, take over running broadcasts nobody sends (their sender
        died: its lease ran out); the ones another worker sends stay with it."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.resume(bot)
            except Exception as exc:  # the database is away for a moment: next round
                log.warning("Broadcast watch: %s", exc)

    async def stop(self) -> None:
        """At shutdown: every sender records what it did and puts unsent rows back."""
        tasks = [t for t in self.tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait(self, broadcast_id: int) -> None:
        await self.tasks[broadcast_id]

    # -- one broadcast ---------------------------------------------------------------

    async def _run(self, broadcast_id: int, bot: Bot) -> None:
        async with self.leases.hold(f"broadcast:{broadcast_id}") as lease:
            if lease is None:
                log.debug("Broadcast %s is being sent by another process", broadcast_id)
                return
            try:
                await lease.guard(self._send(broadcast_id, bot))
            except LeaseLost:
                log.error("Broadcast %s: lease lost, stopped; another worker goes on", broadcast_id)

    async def _send(self, broadcast_id: int, bot: Bot) -> None:
        async with self.pool() as session, session.begin():
            service = BroadcastService(session)
            # Nobody else sends this broadcast now: rows left `sending` are a dead run's.
            lost = await service.recover(broadcast_id)
            if lost:
                log.warning(
                    "Broadcast %s: %s messages were in flight at a crash; counted failed, "
                    "not resent",
                    broadcast_id,
                    lost,
                )
            await service.refresh_statistics()
        async with self.pool() as session:
            service = BroadcastService(session)
            broadcast = await service.get(broadcast_id)
            if broadcast is None or broadcast.status is not BroadcastStatus.running:
                return
            locale = await service.author_language(broadcast) or self.i18n.default_locale
        job = _Job(
            id=broadcast.id,
            bot=bot,
            text=broadcast.text,
            photo_file_id=broadcast.photo_file_id,
            chat_id=broadcast.progress_chat_id,
            message_id=broadcast.progress_message_id,
            locale=locale,
            progress=Progress(
                broadcast.status,
                broadcast.total,
                broadcast.sent,
                broadcast.failed,
                broadcast.blocked,
            ),
        )
        # The progress message already shows where the broadcast starts from (the Confirm
        # screen drew it, or the last edit before a restart did): edit only on change.
        job.shown = self._progress(job).text
        ticker = asyncio.create_task(self._tick(job))
        try:
            await self._drain(job)
        finally:
            ticker.cancel()
        await self._report(job)

    async def _drain(self, job: _Job) -> None:
        results: dict[Claimed, Outcome] = {}
        while True:
            # A cancel must not cut this transaction short: it carries the last batch's
            # results, and the rows it claims are given back at once.
            claimed, cancelled = await _unkillable(self._step(job, results))
            if cancelled:
                job.started = set()
                await _unkillable(self._settle(job, claimed, {}))
                raise asyncio.CancelledError
            if not claimed:
                return
            results = {}
            job.started = set()
            try:
                await self._send_batch(job, claimed, results)
            except asyncio.CancelledError:
                await _unkillable(self._settle(job, claimed, results))
                raise

    async def _step(self, job: _Job, results: dict[Claimed, Outcome]) -> list[Claimed]:
        """One transaction: record the last batch, claim the next (or finish)."""
        async with self.pool() as session, session.begin():
            service = BroadcastService(session)
            before = job.progress
            job.progress = await service.record(job.id, results)
            self._observe(job.id, before, job.progress)
            if job.progress.status is not BroadcastStatus.running:
                return []  # stopped by an admin
            claimed = await service.claim(job.id, self.batch_size, job.after)
            if not claimed and job.after:
                # Nothing after the cursor; one look from the start before calling it done.
                claimed = await service.claim(job.id, self.batch_size)
            if not claimed:
                job.progress = await service.finish(job.id)
                return []
            job.after = claimed[-1].user_id
            return claimed

    async def _settle(
        self, job: _Job, claimed: list[Claimed], results: dict[Claimed, Outcome]
    ) -> None:
        """Stopping mid-batch: keep what was sent, give back what was never tried; a send
        cut off halfway may have been delivered, so it counts as failed (never resent)."""
        unknown = [c for c in job.started if c not in results]
        release = [c for c in claimed if c not in job.started and c not in results]
        async with self.pool() as session, session.begin():
            service = BroadcastService(session)
            before = job.progress
            job.progress = await service.record(job.id, results, release, unknown)
            self._observe(job.id, before, job.progress)

    def _observe(self, broadcast_id: int, before: Progress, after: Progress) -> None:
        if self.observe is not None:
            try:
                self.observe(broadcast_id, before, after)
            except Exception:
                log.exception("Broadcast progress observer failed")

    async def _send_batch(
        self, job: _Job, claimed: list[Claimed], results: dict[Claimed, Outcome]
    ) -> None:
        queue = iter(claimed)

        async def worker() -> None:
            for recipient in queue:
                results[recipient] = await self._send_one(job, recipient)

        workers = min(self.concurrency, len(claimed))
        if workers == 1:
            await worker()
        else:
            await asyncio.gather(*(worker() for _ in range(workers)))

    async def _send_one(self, job: _Job, recipient: Claimed) -> Outcome:
        for _attempt in range(MAX_ATTEMPTS):
            await self.limiter.acquire()
            job.started.add(recipient)
            try:
                await deliver(job.bot, recipient.telegram_id, job.text, job.photo_file_id)
                return Outcome.sent
            except TelegramRetryAfter as exc:
                # Not delivered, for sure: everyone waits, then this one is tried again.
                job.started.discard(recipient)
                self.limiter.pause(exc.retry_after)
            except TelegramForbiddenError:
                return Outcome.blocked
            except TelegramAPIError as exc:  # chat not found, server or network trouble
                log.info("Broadcast %s to %s failed: %s", job.id, recipient.telegram_id, exc)
                return Outcome.failed
            except Exception:
                log.exception("Broadcast %s to %s failed", job.id, recipient.telegram_id)
                return Outcome.failed
        return Outcome.failed

    # -- what the admin sees (in the author's language) -------------------------------

    def _progress(self, job: _Job) -> Screen:
        with self.i18n.context(), self.i18n.use_locale(job.locale):
            return progress_screen(job.id, job.progress)

    def _report_text(self, job: _Job) -> str:
        stopped = job.progress.status is BroadcastStatus.cancelled
        with self.i18n.context(), self.i18n.use_locale(job.locale):
            return report_text(job.id, job.progress, stopped=stopped)

    async def _tick(self, job: _Job) -> None:
        while True:
            await asyncio.sleep(self.progress_interval)
            screen = self._progress(job)
            await self._edit(job, screen.text, screen.markup)

    async def _report(self, job: _Job) -> None:
        text = self._report_text(job)
        await self._edit(job, text, None)
        if job.chat_id is not None:
            try:
                await job.bot.send_message(job.chat_id, text)
            except TelegramAPIError as exc:
                log.warning("Broadcast %s: could not send the report: %s", job.id, exc)

    async def _edit(self, job: _Job, text: str, markup) -> None:
        """Progress edits are best effort: a failed edit never stops the broadcast."""
        if job.chat_id is None or job.message_id is None or text == job.shown:
            return
        try:
            await job.bot.edit_message_text(
                text, chat_id=job.chat_id, message_id=job.message_id, reply_markup=markup
            )
            job.shown = text
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                job.shown = text
            else:
                log.debug("Broadcast %s: progress edit failed: %s", job.id, exc)
        except TelegramAPIError as exc:
            log.debug("Broadcast %s: progress edit failed: %s", job.id, exc)


async def _unkillable(coro: Coroutine[Any, Any, T]) -> tuple[T, bool]:
    """Runs `coro` to the end even if the caller is cancelled meanwhile; returns its
    result and whether a cancel arrived (the caller then tidies up and re-raises)."""
    task = asyncio.ensure_future(coro)
    try:
        return await asyncio.shield(task), False
    except asyncio.CancelledError:
        return await task, True


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Broadcast task %s died", task.get_name(), exc_info=task.exception())
