"""Leases: "only one worker does this now", across processes, for whoever needs it (the
broadcaster per broadcast; a periodic sweep per sweep).

    async with leases.hold("sweep:reservations") as lease:
        if lease is None:
            return                      # another worker holds it
        await lease.guard(sweep())      # cancelled if the lease is lost meanwhile

Three kinds, one interface (`Leases.hold`), picked by `create_leases`:
- `RedisLeases`: SET NX with a TTL, renewed every third of it while held; a holder that
  dies (kill -9) or hangs loses it when the TTL runs out, and another worker takes over.
  A holder that cannot renew in time treats the lease as lost and stops its work.
- `PgLeases`: a PostgreSQL advisory lock held on its own connection: it goes the moment
  the holder's connection does (a killed process's socket is closed by its kernel).
- `LocalLeases`: within this process only (SQLite: one process serves the shop).
"""

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
T = TypeVar("T")


class Lease:
    """A held lease; `lost` is set when it no longer is (then stop writing)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lost = asyncio.Event()

    async def guard(self, coro: Coroutine[Any, Any, T]) -> T:
        """Awaits `coro` in this task; cancels it if the lease is lost first (then
        `LeaseLost`)."""
        task = asyncio.current_task()
        assert task is not None
        cut = False

        async def watch() -> None:
            nonlocal cut
            await self.lost.wait()
            cut = True
            task.cancel()

        watcher = asyncio.create_task(watch())
        try:
            return await coro
        except asyncio.CancelledError:
            if cut and task.uncancel() == 0:
                raise LeaseLost(self.name) from None
            raise
        finally:
            watcher.cancel()


class LeaseLost(Exception):
    """The lease ran out while its work was going on; the work was cancelled."""


class Leases(Protocol):
    def hold(self, name: str) -> Any:  # an async context manager of `Lease | None`
        ...


class LocalLeases:
    def __init__(self) -> None:
        self._held: set[str] = set()

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[Lease | None]:
        if name in self._held:
            yield None
            return
        self._held.add(name)
        try:
            yield Lease(name)
        finally:
            self._held.discard(name)


class PgLeases:
    def __init__(self, engine: AsyncEngine, namespace: int = 0x6C65) -> None:
        self.engine = engine
        self.namespace = namespace  # the advisory lock's first key

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[Lease | None]:
        key = {"ns": self.namespace, "name": name}
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:ns, hashtext(:name))"), key)
            if not got:
                yield None
                return
            try:
                yield Lease(name)
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:ns, hashtext(:name))"), key)


# Renew or release only a lease that is still ours (the token matches).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLeases:
    def __init__(self, redis: Redis, prefix: str, ttl: float = 30.0) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[Lease | None]:
        key = f"{self.prefix}:lease:{name}"
        token = f"{os.getpid()}:{secrets.token_hex(8)}"  # whose: for an operator's eyes
        ttl_ms = max(1, int(self.ttl * 1000))
        if not await self.redis.set(key, token, nx=True, px=ttl_ms):
            yield None
            return
        lease = Lease(name)
        keeper = asyncio.create_task(self._keep(key, token, ttl_ms, lease))
        try:
            yield lease
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            try:
                await self._release(keys=[key], args=[token])
            except Exception as exc:  # it runs out by itself
                log.warning("Lease %s: could not release it: %s", name, exc)

    async def _keep(self, key: str, token: str, ttl_ms: int, lease: Lease) -> None:
        loop = asyncio.get_running_loop()
        good_until = loop.time() + ttl_ms / 1000
        while True:
            await asyncio.sleep(ttl_ms / 3000)
            try:
                renewed = await asyncio.wait_for(
                    self._renew(keys=[key], args=[token, ttl_ms]), ttl_ms / 3000
                )
            except Exception as exc:  # Redis down or slow: retry while the lease lasts
                if loop.time() < good_until - ttl_ms / 6000:
                    log.warning("Lease %s: renewing failed, retrying: %s", lease.name, exc)
                    continue
                renewed = 0
            if not renewed:
                log.error("Lease %s was lost (not renewed in time)", lease.name)
                lease.lost.set()
                return
            good_until = loop.time() + ttl_ms / 1000


def create_leases(engine: AsyncEngine, redis: Redis | None, prefix: str, ttl: float) -> Leases:
    """Redis when there is one (a TTL: a hung holder loses it too), else PostgreSQL's
    advisory locks, else (SQLite) this process."""
    if redis is not None:
        return RedisLeases(redis, prefix, ttl)
    if engine.dialect.name == "postgresql":
        return PgLeases(engine)
    return LocalLeases()
