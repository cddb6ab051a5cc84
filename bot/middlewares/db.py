import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.storage import dialogs_written, keep_dialogs
from db.engine import current_session
from services.errors import DomainError, NotSaved

log = logging.getLogger(__name__)


class DbSessionMiddleware(BaseMiddleware):
    """One session and one transaction per update: commit on return, rollback on error.
    A domain error (answered, not a crash) leaves the dialog where the handler left it:
    see bot/storage.py."""

    def __init__(self, pool: async_sessionmaker[AsyncSession]) -> None:
        self.pool = pool

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        # The transaction begins with the first statement. It ends in one hop into
        # SQLAlchemy's sync side (commit, then close) rather than three (begin, commit,
        # close): each hop is a greenlet switch, paid on every update. Both ends are
        # shielded, as SQLAlchemy's own `async with session` closes: if the update's
        # task is cancelled meanwhile, the connection still goes back to the pool.
        session = self.pool()
        token = current_session.set(session)
        try:
            data["session"] = session
            result = await handler(event, data)
        except DomainError as exc:
            # A refused commit (NotSaved: "nothing has changed") rolled the dialog back
            # with the rest, and it stays so.
            written = {} if isinstance(exc, NotSaved) else dialogs_written(session)
            await asyncio.shield(session.close())  # rolls back
            if written:
                await asyncio.shield(self._keep(written))
            raise
        except BaseException:
            await asyncio.shield(session.close())  # rolls back
            raise
        finally:
            current_session.reset(token)
        await asyncio.shield(session.run_sync(_commit_and_close))
        return result

    async def _keep(self, written: dict[str, tuple[str | None, dict]]) -> None:
        try:
            await keep_dialogs(self.pool, written)
        except SQLAlchemyError as exc:  # the user still gets the domain error's answer
            log.warning("Could not keep the dialog after a refused update: %r", exc)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()
