"""Exactly-once updates: Telegram delivers a webhook update again when the answer was
slow or lost; the second delivery must do nothing.

An update counts as handled once its handling returned (its transaction committed).
One whose handling failed (an exception got out) is forgotten, so a new delivery
handles it. A delivery that arrives while another worker handles the same update waits
for it: then does nothing (handled) or handles it (that one failed).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.middlewares.outage import REDIS_DOWN
from db.engine import ON_WRITING_COMMIT, wrote
from db.sql import insert_new
from models import ProcessedUpdate

log = logging.getLogger(__name__)

# Telegram keeps an unanswered update for 24 hours; a mark outlives that.
DONE_TTL = 25 * 3600
# A worker killed mid-update leaves its mark "busy": after this long it no longer counts
# and a new delivery handles the update. If the worker had committed (killed between the
# commit and the "done" mark), the database's own mark stops the second handling.
BUSY_TTL = 120


# How often, and how long, a repeated delivery looks whether the first one is done.
POLL = 0.05
WAIT = 60.0


class RedisDedupeMiddleware(BaseMiddleware):
    """Marks in Redis: `busy` (SET NX with a short TTL) while handling, `done` (a day)
    once handled, deleted when handling failed. Runs before throttling, so a repeated
    delivery costs the user no tokens."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        key = f"{self.prefix}:update:{data['bot'].id}:{event.update_id}"
        if not await self._claim(key):
            log.info("Update %s was handled already: delivered again, skipped", event.update_id)
            return None
        try:
            result = await handler(event, data)
        except BaseException:
            await self.redis.delete(key)
            raise
        try:
            await self.redis.set(key, b"done", ex=DONE_TTL)
        except REDIS_DOWN as exc:
            # What the update did is committed and its answer (maybe in `result`, the
            # webhook reply) must still go out. The "busy" mark expires in BUSY_TTL; a
            # delivery after that runs again, and DbDedupeMiddleware(backstop=True)
            # rolls it back if it changes data.
            log.warning(
                "Update %s handled, but Redis missed its done mark: %s", event.update_id, exc
            )
        return result

    async def _claim(self, key: str) -> bool:
        """True: this delivery handles the update; False: it was handled."""
        waited = 0.0
        while not await self.redis.set(key, b"busy", nx=True, ex=BUSY_TTL):
            if await self.redis.get(key) == b"done" or waited >= WAIT:
                return False
            await asyncio.sleep(POLL)
            waited += POLL
        return True


class AlreadyHandled(Exception):
    """The update's mark was in the database already: its changes were committed once."""


class DbDedupeMiddleware(BaseMiddleware):
    """The mark as a row in the update's own transaction: it commits with what the update
    did, or rolls back with it. Goes right after the session middleware.

    Without Redis (`backstop=False`) the row is inserted first: a second delivery finds
    it (on PostgreSQL a concurrent one waits for the first to commit or roll back) and
    does nothing. With Redis in front (`backstop=True`) the row is inserted with the
    update's first commit that changes data. It catches the delivery Redis lets through
    when the worker that committed died before its "done" mark: that one is rolled
    back. Reads pay nothing for it."""

    CLEAN_EVERY = 1000  # updates between deletions of marks older than DONE_TTL

    def __init__(self, backstop: bool = False) -> None:
        self.backstop = backstop
        self._count = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        session: AsyncSession = data["session"]
        values = {"update_id": event.update_id, "bot_id": data["bot"].id}
        if not self.backstop:
            if not await session.run_sync(self._mark, values):
                log.info("Update %s was handled already: delivered again, skipped", event.update_id)
                _quiet(data)  # the first delivery answered the button
                return None
            return await handler(event, data)
        session.sync_session.info[ON_WRITING_COMMIT] = partial(self._mark_or_stop, values)
        try:
            result = await handler(event, data)
            if wrote(session):
                await session.commit()  # the mark goes in (or stops it) here
            return result
        except AlreadyHandled:
            await session.rollback()
            log.warning(
                "Update %s was committed by an earlier delivery whose worker stopped before "
                "Redis heard of it: this delivery is rolled back",
                event.update_id,
            )
            _quiet(data)  # its answer spoke of changes that were just undone
            return None

    def _mark_or_stop(self, values: dict[str, int], session: Session) -> None:
        if not self._mark(session, values):
            raise AlreadyHandled()

    def _mark(self, session: Session, values: dict[str, int]) -> bool:
        """Inserts the update's row; False when it was there already."""
        inserted = session.execute(
            insert_new(session, ProcessedUpdate.__table__, values, ["bot_id", "update_id"])
        )
        if inserted.rowcount == 0:
            return False
        self._count += 1
        if self._count % self.CLEAN_EVERY == 0:
            before = datetime.now(UTC) - timedelta(seconds=DONE_TTL)
            session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.handled_at < before))
        return True


def _quiet(data: dict[str, Any]) -> None:
    if (answer := data.get("callback_answer")) is not None:
        answer.disable()
