"""Engine and session pool, built from settings; nothing here runs at import time."""

import re
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Select, event
from sqlalchemy.engine import Connection, ExecutionContext, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

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
    elif engine.dialect.driver == "asyncpg":
        _begin_lazily(engine)
    return engine


def _begin_lazily(engine: AsyncEngine) -> None:
    """PostgreSQL: a READ COMMITTED transaction sends BEGIN with its first statement
    that is not a plain read; the reads before it run on their own (each statement of a
    READ COMMITTED transaction sees its own snapshot anyway). A press that only reads
    then costs its SELECTs and no BEGIN or COMMIT: two round trips of four.

    A plain read is a SELECT whose SQL has no FOR UPDATE/SHARE (subqueries included),
    no INSERT/UPDATE/DELETE (data-modifying CTEs), no transaction-bound function
    (advisory xact locks, set_config, sequences, pg_notify) and no server-side cursor.
    Everything else begins first: DML, text() statements, savepoints. A SELECT calling
    some other function that writes must not rely on this: run a write or `text()`
    first. Connections at another isolation level (REPEATABLE READ, SERIALIZABLE,
    AUTOCOMMIT) are left as they are."""
    sync = engine.sync_engine

    @event.listens_for(sync, "checkout")
    def _arm(dbapi_connection: Any, _record: object, _proxy: object) -> None:
        _set_lazy(dbapi_connection)

    @event.listens_for(sync, "before_cursor_execute")
    def _begin(
        conn: Connection,
        _cursor: object,
        _sql: str,
        _params: object,
        context: ExecutionContext | None,
        _many: bool,
    ) -> None:
        dbapi_connection: Any = conn.connection.dbapi_connection
        if dbapi_connection.autocommit and not _plain_read(context):
            dbapi_connection.autocommit = False  # back to its level: this sends BEGIN

    @event.listens_for(sync, "commit")
    def _rearm(conn: Connection) -> None:
        # Before the DBAPI commit (which still ends a begun transaction): the next
        # transaction on this connection starts lazily again. (After a rollback, the
        # next checkout does it.)
        _set_lazy(conn.connection.dbapi_connection)


def _set_lazy(dbapi_connection: Any) -> None:
    if getattr(dbapi_connection, "_isolation_setting", None) in _LAZY_LEVELS:
        dbapi_connection.autocommit = True


_LAZY_LEVELS = (None, "read_committed")  # the server's default, or said outright
_NEEDS_TRANSACTION = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b|\b(?:INSERT|UPDATE|DELETE|MERGE)\b"
    r"|advisory_xact|set_config|nextval|setval|pg_notify",
    re.IGNORECASE,
)


def _plain_read(context: ExecutionContext | None) -> bool:
    compiled: Any = getattr(context, "compiled", None)
    if compiled is None or not isinstance(compiled.statement, Select):
        return False
    if getattr(context, "_is_server_side", False):  # asyncpg cursors need a transaction
        return False
    verdict = compiled.__dict__.get("_plain_read")  # compiled statements are cached
    if verdict is None:
        verdict = compiled.__dict__["_plain_read"] = not _NEEDS_TRANSACTION.search(compiled.string)
    return verdict


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class TrackedSession(Session):
    """A session that knows whether its transaction wrote anything (`wrote()`) and whether
    a transaction of it that wrote has committed (`committed()`), and runs
    `info[ON_WRITING_COMMIT]` before the first commit that writes: webhook updates put
    their exactly-once mark there, so reads pay nothing for it. Until a commit carrying
    the mark succeeds, each writing commit runs it again (a failed commit rolled it back)."""


ON_WRITING_COMMIT = "on_writing_commit"


@event.listens_for(TrackedSession, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.statement.is_dml:  # insert, update or delete, ORM or Core
        state.session.info["wrote"] = True


@event.listens_for(TrackedSession, "after_flush")
def _on_flush(session: Session, _flush: UOWTransaction) -> None:
    session.info["wrote"] = True


@event.listens_for(TrackedSession, "before_commit")
def _on_commit(session: Session) -> None:
    # Also called when a SAVEPOINT is released: the mark belongs to the whole transaction
    # (a savepoint can still roll back), so it goes in with that one's commit only.
    if session.in_nested_transaction() or not _wrote(session):
        return
    session.info["committing"] = True
    hook = session.info.get(ON_WRITING_COMMIT)
    if hook is not None and not session.info.get("marked"):
        hook(session)
        session.info["marking"] = True


@event.listens_for(TrackedSession, "after_commit")
def _on_committed(session: Session) -> None:
    if session.info.pop("committing", False):
        session.info["committed"] = True
    if session.info.pop("marking", False):
        session.info["marked"] = True


@event.listens_for(TrackedSession, "after_transaction_end")
def _on_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop("wrote", None)
        session.info.pop("committing", None)
        session.info.pop("marking", None)  # a commit that failed: its mark is gone too


def _wrote(session: Session) -> bool:
    return bool(session.info.get("wrote") or session.new or session.dirty or session.deleted)


def wrote(session: AsyncSession) -> bool:
    """True when this transaction has changed data or will at commit (pending objects)."""
    return _wrote(session.sync_session)


def committed(session: AsyncSession) -> bool:
    """True once a transaction of this session that changed data has committed."""
    return bool(session.sync_session.info.get("committed"))


def create_session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=TrackedSession
    )


def describe_url(url: str) -> str:
    """The URL without its password, fit for a log line."""
    return make_url(url).render_as_string(hide_password=True)
