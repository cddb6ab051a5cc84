"""bot/sqlite.py: SQLite statements in one trip to aiosqlite's thread, and no trip to end
a transaction SQLite never began, with everything a DBAPI cursor reports intact."""

import pytest
from aiosqlite.core import Connection as AioConnection
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from db.engine import create_engine

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
