"""PostgreSQL: a transaction sends BEGIN only when it first needs one (db/engine.py), so
a press that only reads costs no BEGIN and no COMMIT; everything that needs the
transaction still gets it."""

import asyncio

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

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
