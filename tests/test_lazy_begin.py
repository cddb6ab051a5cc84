"""PostgreSQL: a transaction sends BEGIN only when it first needs one (db/engine.py), so
a press that only reads costs no BEGIN and no COMMIT; everything that needs the
transaction still gets it."""

import asyncio

import pytest
from sqlalchemy import func, insert, literal, select, text
from sqlalchemy.exc import DBAPIError

from db.engine import create_engine, create_session_pool
from models import Category
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="BEGIN on demand is PostgreSQL's (asyncpg)")


async def _in_transaction(session) -> bool:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.dbapi_connection._transaction is not None


async def test_reads_send_no_begin_and_a_write_begins(pool):
    async with pool() as session:
        await session.execute(select(Category.id))
        await session.execute(select(Category.id).where(Category.id == 1))
        assert not await _in_transaction(session)
        await session.execute(insert(Category).values(name="Tea", slug="tea"))
        assert await _in_transaction(session)
        await session.rollback()
    async with pool() as session:  # the write was inside the transaction: rolled back
        assert (await session.execute(select(Category.id))).all() == []
        await session.execute(select(Category.id))
        assert not await _in_transaction(session)  # the next checkout is lazy again


async def test_after_a_commit_the_next_transaction_is_lazy_too(pool):
    async with pool() as session:
        await session.execute(insert(Category).values(name="Tea", slug="tea"))
        await session.commit()
        await session.execute(select(Category.id))
        assert not await _in_transaction(session)
        await session.execute(insert(Category).values(name="Jam", slug="jam"))
        await session.commit()
    async with pool() as session:
        names = (await session.execute(select(Category.name).order_by(Category.id))).scalars()
        assert list(names) == ["Tea", "Jam"]


async def test_for_update_and_transaction_advisory_locks_hold_until_the_end(pool):
    async with pool() as setup:
        await setup.execute(insert(Category).values(name="Tea", slug="tea"))
        await setup.commit()
    async with pool() as first, pool() as second:
        await first.execute(select(Category).with_for_update())
        assert await _in_transaction(first)
        await first.execute(text("SELECT pg_advisory_xact_lock(4242)"))
        with pytest.raises(DBAPIError):  # the row is still locked by `first`
            await second.execute(select(Category).with_for_update(nowait=True))
        await second.rollback()
        took = await second.scalar(text("SELECT pg_try_advisory_xact_lock(4242)"))
        assert took is False  # so is the advisory lock
        await second.rollback()
        await first.commit()
        assert await second.scalar(text("SELECT pg_try_advisory_xact_lock(4242)")) is True
        await second.rollback()


async def test_a_savepoint_begins_the_transaction(pool):
    async with pool() as session:
        await session.execute(select(Category.id))
        async with session.begin_nested():
            await session.execute(insert(Category).values(name="Tea", slug="tea"))
        await session.rollback()  # the savepoint was inside the outer transaction
        assert (await session.execute(select(Category.id))).all() == []


async def test_reads_outside_a_transaction_see_other_commits_as_read_committed_does(pool):
    async with pool() as reader, pool() as writer:
        assert (await reader.execute(select(Category.id))).all() == []
        await writer.execute(insert(Category).values(name="Tea", slug="tea"))
        await writer.commit()
        await asyncio.sleep(0)
        assert len((await reader.execute(select(Category.id))).all()) == 1


# Statements that look like reads but need the transaction (found in review).


async def _raw(conn):
    raw = await conn.get_raw_connection()
    return raw.dbapi_connection


async def test_core_select_of_advisory_xact_lock_is_held_until_commit(pool):
    """select(func.pg_advisory_xact_lock(...)) is a plain Select: it runs before BEGIN, so
    the transaction-scoped lock ends with the statement."""
    async with pool() as first, pool() as second:
        await first.execute(select(func.pg_advisory_xact_lock(4243)))
        took = await second.scalar(text("SELECT pg_try_advisory_xact_lock(4243)"))
        await second.rollback()
        await first.rollback()
        assert took is False, "first's transaction-scoped lock was not held"


async def test_set_config_local_in_a_select_lasts_for_the_transaction(pool):
    async with pool() as session:
        await session.execute(select(func.set_config("app.actor", "42", True)))
        got = await session.scalar(select(func.current_setting("app.actor", True)))
        await session.rollback()
        assert got == "42"


async def test_a_data_modifying_cte_in_a_select_is_rolled_back(pool):
    ins = insert(Category).values(name="Tea", slug="tea").returning(Category.id).cte("ins")
    async with pool() as session:
        await session.execute(select(ins.c.id))
        await session.rollback()
    async with pool() as session:
        assert (await session.execute(select(Category.id))).all() == []


async def test_repeatable_read_connection_keeps_its_snapshot_after_its_first_commit(pool, engine):
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        await conn.execute(select(literal(1)))
        await conn.commit()  # first transaction: fine
        # second transaction on the same connection
        before = (await conn.execute(select(func.count(Category.id)))).scalar()
        async with pool() as writer:
            await writer.execute(insert(Category).values(name="Tea", slug="tea"))
            await writer.commit()
        after = (await conn.execute(select(func.count(Category.id)))).scalar()
        in_tx = (await _raw(conn))._transaction is not None
        await conn.rollback()
        assert (before, after) == (0, 0), f"REPEATABLE READ saw {before}->{after}; in tx: {in_tx}"


async def test_engine_wide_repeatable_read_reads_are_in_the_snapshot(pool):
    engine = create_engine(PG_URL, isolation_level="REPEATABLE READ")
    try:
        rr = create_session_pool(engine)
        async with rr() as reader:
            before = await reader.scalar(select(func.count(Category.id)))
            async with pool() as writer:
                await writer.execute(insert(Category).values(name="Jam", slug="jam"))
                await writer.commit()
            after = await reader.scalar(select(func.count(Category.id)))
            await reader.rollback()
        assert (before, after) == (0, 0), f"REPEATABLE READ engine saw {before}->{after}"
    finally:
        await engine.dispose()


async def test_session_get_and_refresh_for_update_begin(pool):
    async with pool() as s:
        await s.execute(insert(Category).values(name="Tea", slug="tea"))
        await s.commit()
    async with pool() as first, pool() as second:
        cat = await first.get(Category, 1, with_for_update=True)
        assert cat is not None
        with pytest.raises(DBAPIError):
            await second.execute(select(Category).with_for_update(nowait=True))
        await second.rollback()
        await first.rollback()
    async with pool() as first, pool() as second:
        cat = await first.get(Category, 1)
        await first.refresh(cat, with_for_update=True)
        with pytest.raises(DBAPIError):
            await second.execute(select(Category).with_for_update(nowait=True))
        await second.rollback()
        await first.rollback()


async def test_streaming_a_plain_select_works(pool):
    """AsyncSession.stream() uses a server-side cursor; asyncpg refuses one outside a
    transaction."""
    async with pool() as s:
        await s.execute(insert(Category).values(name="Tea", slug="tea"))
        await s.commit()
    async with pool() as session:
        result = await session.stream_scalars(select(Category.name))
        names = [n async for n in result]
        await session.rollback()
    assert names == ["Tea"]


async def test_yield_per_plain_select_works(pool):
    async with pool() as s:
        await s.execute(insert(Category).values(name="Tea", slug="tea"))
        await s.commit()
    async with pool() as session:
        result = await session.stream(select(Category.name).execution_options(yield_per=10))
        rows = [r async for r in result]
        await session.rollback()
    assert len(rows) == 1


async def test_for_update_in_a_subquery_holds_its_row_locks(pool):
    async with pool() as s:
        await s.execute(insert(Category).values(name="Tea", slug="tea"))
        await s.commit()
    locked = select(Category.id).with_for_update().subquery()
    async with pool() as first, pool() as second:
        await first.execute(select(locked.c.id))
        try:
            await second.execute(select(Category).with_for_update(nowait=True))
            free = True
        except DBAPIError:
            free = False
        await second.rollback()
        await first.rollback()
    assert not free, "the subquery's FOR UPDATE locks ended with the statement"
