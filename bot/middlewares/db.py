import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from db.engine import current_session


class DbSessionMiddleware(BaseMiddleware):
    """One session and one transaction per update: commit on return, rollback on error."""

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
        except BaseException:
            await asyncio.shield(session.close())  # rolls back
            raise
        finally:
            current_session.reset(token)
        await asyncio.shield(session.run_sync(_commit_and_close))
        return result


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()
