"""Engine and session pool, built from settings; nothing here runs at import time."""

from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db import sqlite

# The session of the update being handled, so the FSM storage joins its transaction
# instead of opening a second connection.
current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)


def create_engine(url: str, **kwargs: object) -> AsyncEngine:
    if make_url(url).drivername == "sqlite+aiosqlite":
        kwargs.setdefault("module", sqlite.dbapi())
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def describe_url(url: str) -> str:
    """The URL without its password, fit for a log line."""
    return make_url(url).render_as_string(hide_password=True)
