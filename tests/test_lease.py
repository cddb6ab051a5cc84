"""Leases (jobs/lease.py): one holder at a time; a lost lease stops its work."""

import asyncio

import pytest
from redis.asyncio import Redis

from jobs.lease import LeaseLost, LocalLeases, PgLeases, RedisLeases
from tests.conftest import PG_URL, REDIS_URL
from tests.redis_env import redis_prefix  # noqa: F401 (fixture)


async def _one_holder(leases) -> None:
    async with leases.hold("sweep") as first:
        assert first is not None
        async with leases.hold("sweep") as second:
            assert second is None  # held
        async with leases.hold("other") as other:
            assert other is not None  # names are separate
    async with leases.hold("sweep") as again:
        assert again is not None  # released


async def test_local_leases():
    await _one_holder(LocalLeases())


@pytest.mark.skipif(not PG_URL, reason="advisory locks are PostgreSQL's")
async def test_postgresql_leases(engine):
    await _one_holder(PgLeases(engine))


async def test_redis_leases_and_a_lost_lease_stops_the_work(redis_prefix):  # noqa: F811
    redis = Redis.from_url(REDIS_URL)
    await _one_holder(RedisLeases(redis, redis_prefix, ttl=30))
    leases = RedisLeases(redis, redis_prefix, ttl=0.06)  # renewed every 20 ms
    started = asyncio.Event()

    async def work() -> None:
        started.set()
        await asyncio.Event().wait()  # runs until cancelled

    async with leases.hold("job") as lease:
        assert lease is not None
        task = asyncio.create_task(lease.guard(work()))
        await started.wait()
        # Someone else holds it now (this holder was presumed dead): the renewal sees it.
        await redis.set(f"{redis_prefix}:lease:job", "someone-else")
        with pytest.raises(LeaseLost):
            await task
        assert lease.lost.is_set()
    assert await redis.get(f"{redis_prefix}:lease:job") == b"someone-else"  # not ours to free
    await redis.aclose()
