"""SQLAlchemy's aiosqlite adapter, with fewer trips to aiosqlite's thread.

aiosqlite runs every call on one worker thread per connection; each call is a trip
there and back through the event loop, and the trip costs more than a small query.
Stock SQLAlchemy makes four per statement (cursor, execute, fetchall, close) and one per
COMMIT or ROLLBACK, even when SQLite has no transaction open (a read-only update, the
pool's reset on return). Here a statement is one trip, and ending a transaction that
SQLite never began is none: the same calls, in the same order, on the same thread.

Used by `db.engine.create_engine` for every `sqlite+aiosqlite` URL.

It subclasses SQLAlchemy's private aiosqlite classes, so pyproject.toml pins SQLAlchemy
to the minor version it was written against (2.1), and tests/test_sqlite_adapter.py
fails, naming what to do, when the source of anything it overrides changes.
"""

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    """Holds the finished `sqlite3.Cursor` (closed, its rows fetched); `description`,
    `rowcount` and `lastrowid` are read from it (DBAPI's defaults before any statement)."""

    __slots__ = ("_arraysize",)

    def __init__(self, adapt_connection: "_Connection") -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._arraysize = 1  # each statement has a cursor of its own: kept here

    @property
    def description(self) -> Any:
        return None if self._cursor is None else self._cursor.description

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> Any:
        return None if self._cursor is None else self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def _run(self, operation: str, parameters: Any, many: bool = False) -> None:
        """On aiosqlite's thread: the whole statement (`many`: once per parameter set)."""
        cursor = self._cursor = self._connection._conn.cursor()
        try:
            if many:
                cursor.executemany(operation, parameters)
            else:
                cursor.execute(operation, () if parameters is None else parameters)
                self._rows = collections.deque(cursor.fetchall() if cursor.description else ())
        finally:
            cursor.close()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            await self._connection._execute(self._run, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            await self._connection._execute(self._run, operation, seq_of_parameters, True)

    async def _async_soft_close(self) -> None:
        """Nothing to do: the cursor closed on the thread, its rows are here."""

    def close(self) -> None:
        self._rows.clear()


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _Cursor

    def _in_transaction(self) -> bool:
        # A flag sqlite3 reads off the connection, safe while no call is running on
        # the thread (SQLAlchemy never overlaps calls on one connection).
        conn: sqlite3.Connection | None = self._connection._connection
        return conn is not None and conn.in_transaction

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        adapted = super().connect(*arg, **kw)
        return _Connection(self, adapted._connection)


def dbapi() -> _DBAPI:
    """The module to pass as `create_async_engine(..., module=...)`."""
    return _DBAPI(aiosqlite, sqlite3)
