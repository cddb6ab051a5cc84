"""db/sqlite.py: SQLite statements in one trip to aiosqlite's thread, and no trip to end
a transaction SQLite never began, with everything a DBAPI cursor reports intact."""

import hashlib
import inspect

import pytest
import sqlalchemy
from aiosqlite.core import Connection as AioConnection
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.exc import IntegrityError

from db import sqlite
from db.engine import create_engine

# Its own SQLite file (or none): the PostgreSQL run would only repeat it.
pytestmark = pytest.mark.own_sqlite

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), unique=True, nullable=False),
)


@pytest.fixture
async def engine(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch):
    """Every call queued on aiosqlite's thread."""
    calls: list[str] = []
    original = AioConnection._execute

    async def counted(self, fn, *args, **kwargs):
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(AioConnection, "_execute", counted)
    return calls


async def test_a_read_only_transaction_is_one_trip_per_statement(engine, trips):
    async with engine.connect() as conn:  # check the connection out before counting
        trips.clear()
        async with conn.begin():
            assert (await conn.execute(text("SELECT 1 + 1"))).scalar() == 2
            assert (await conn.execute(select(things.c.id))).all() == []
    assert trips == ["_run", "_run"]  # no COMMIT, no reset: SQLite had nothing open


async def test_writes_commit_and_are_seen_by_another_engine(engine, tmp_path, trips):
    async with engine.begin() as conn:
        result = await conn.execute(insert(things).values(name="lamp"))
        assert result.inserted_primary_key == (1,)
        await conn.execute(insert(things), [{"name": "desk"}, {"name": "chair"}])
        result = await conn.execute(
            update(things).where(things.c.id > 1).values(name=things.c.name + "!")
        )
        assert result.rowcount == 2
    assert "commit" in trips  # a transaction SQLite began is committed

    # Another process's engine on the same file reads what was committed: no cache.
    other = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    try:
        async with other.connect() as conn:
            names = (await conn.execute(select(things.c.name).order_by(things.c.id))).scalars()
            assert list(names) == ["lamp", "desk!", "chair!"]
    finally:
        await other.dispose()


async def test_rollback_discards_and_a_failed_statement_leaves_data_untouched(engine):
    async with engine.connect() as conn:
        await conn.execute(insert(things).values(name="lamp"))
        await conn.rollback()
        assert (await conn.execute(select(things.c.name))).all() == []

        await conn.execute(insert(things).values(name="desk"))
        await conn.commit()
        with pytest.raises(IntegrityError):
            await conn.execute(insert(things).values(name="desk"))
        await conn.rollback()
        # The connection still works after the error, and nothing changed.
        assert (await conn.execute(select(things.c.name))).scalars().all() == ["desk"]


async def test_the_raw_cursor_reports_what_dbapi_says(engine):
    def check(sync_conn) -> None:
        cursor = sync_conn.connection.dbapi_connection.cursor()
        # Before any statement: DBAPI's defaults, not errors.
        assert (cursor.description, cursor.rowcount, cursor.lastrowid) == (None, -1, None)
        cursor.arraysize = 2
        cursor.execute("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3")
        assert cursor.fetchmany() == [(1,), (2,)]  # arraysize outlives the statement
        assert cursor.description[0][0] == "1" and cursor.fetchall() == [(3,)]
        cursor.close()

    async with engine.connect() as conn:
        await conn.run_sync(check)


# -- db/sqlite.py subclasses SQLAlchemy's private aiosqlite classes ---------------------
# pyproject.toml pins SQLAlchemy to the minor version this was read against (2.1); these
# tests fail loudly when what the adapter overrides or calls changes, instead of the
# adapter going quietly unused or half-built.

# What the adapter replaces or leans on, in SQLAlchemy's classes.
OVERRIDDEN = {
    AsyncAdapt_aiosqlite_cursor: [
        "__init__", "execute", "executemany", "_execute_async", "_executemany_async",
        "_async_soft_close", "close", "description", "rowcount", "lastrowid", "arraysize",
        "fetchall", "fetchone", "fetchmany",
    ],
    AsyncAdapt_aiosqlite_connection: ["__init__", "commit", "rollback", "cursor"],
    AsyncAdapt_aiosqlite_dbapi: ["connect"],
}  # fmt: skip
# sha256 of their source, read on SQLAlchemy 2.1.0 to 2.1.9 (identical throughout).
FINGERPRINT = "e5026e77d1e75380b0d3705779b1c1e072ca1430faaac851e02d4d907e65733c"


def _source(cls: type, name: str) -> str:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            value = klass.__dict__[name]
            return inspect.getsource(value.fget if isinstance(value, property) else value)
    return f"<{cls.__name__}.{name} missing>"


def test_sqlalchemy_internals_under_the_adapter_are_the_ones_it_was_written_for():
    text_ = "".join(_source(cls, n) for cls, names in OVERRIDDEN.items() for n in names)
    found = hashlib.sha256(text_.encode()).hexdigest()
    assert found == FINGERPRINT, (
        f"SQLAlchemy {sqlalchemy.__version__} changed the aiosqlite internals db/sqlite.py "
        "overrides: re-read db/sqlite.py against them, run this file and "
        "`python -m benchmarks.browse`, then update FINGERPRINT (or drop db/sqlite.py)"
    )
    # The attributes `_Cursor.__init__` sets instead of the stock one.
    slots = {
        s
        for klass in AsyncAdapt_aiosqlite_cursor.__mro__
        for s in klass.__dict__.get("__slots__", ())
    }
    assert slots == {
        "_adapt_connection",
        "_connection",
        "_cursor",
        "_rows",
        "_soft_closed_memoized",
    }
    # aiosqlite's side: its worker-thread queue and the sqlite3 connection.
    assert callable(AioConnection._execute) and isinstance(AioConnection._conn, property)


async def test_every_sqlite_engine_uses_the_adapter(engine):
    assert isinstance(engine.dialect.dbapi, sqlite._DBAPI)
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, sqlite._Connection)
        assert isinstance(raw.dbapi_connection.cursor(), sqlite._Cursor)
