"""Exactly-once updates in the database: Telegram delivers a webhook update again when
the answer was slow or lost; the second delivery must do nothing. With Redis, marks
there come first (bot/middlewares/gate.py) and this one is the backstop.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from db.engine import ON_WRITING_COMMIT, wrote
from db.sql import insert_new
from models import ProcessedUpdate

log = logging.getLogger(__name__)

# Telegram keeps an unanswered update for 24 hours; a mark outlives that.
DONE_TTL = 25 * 3600


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
