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
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares.outage import REDIS_DOWN
from db.sql import insert_new
from models import ProcessedUpdate

log = logging.getLogger(__name__)

# Telegram keeps an unanswered update for 24 hours; a mark outlives that.
DONE_TTL = 25 * 3600
# A worker killed mid-update leaves its mark "busy": after this long it no longer counts
# and a new delivery handles the update (nothing of it was committed).
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
            # delivery after that would run the update again.
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


class DbDedupeMiddleware(BaseMiddleware):
    """Without Redis: the update's id is inserted in the update's own transaction, so the
    mark commits with what the update did, or rolls back with it. A second delivery
    finds the row (on PostgreSQL a concurrent one waits for the first to commit or roll
    back) and does nothing. Goes right after the session middleware."""

    CLEAN_EVERY = 1000  # updates between deletions of marks older than DONE_TTL

    def __init__(self) -> None:
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
        inserted = await session.execute(
            insert_new(session, ProcessedUpdate.__table__, values, ["bot_id", "update_id"])
        )
        if inserted.rowcount == 0:
            log.info("Update %s was handled already: delivered again, skipped", event.update_id)
            if (answer := data.get("callback_answer")) is not None:
                answer.disable()  # the first delivery answered the button
            return None
        self._count += 1
        if self._count % self.CLEAN_EVERY == 0:
            before = datetime.now(UTC) - timedelta(seconds=DONE_TTL)
            await session.execute(
                delete(ProcessedUpdate).where(ProcessedUpdate.handled_at < before)
            )
        return await handler(event, data)
