"""Where failed logins are kept for the lockout: the database (the default) or Redis
(when REDIS_URL is set: no table grows, and entries expire by themselves). Either way
every process sees the same count."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import LoginFailure


class FailureLog(Protocol):
    async def recent(self, key: str, since: datetime, limit: int) -> list[datetime]:
        """The latest failures after `since`, newest first, at most `limit`."""
        ...

    async def add(self, key: str, at: datetime, window: timedelta) -> str:
        """Records an attempt, visible to every process at once; its token for `discard`."""
        ...

    async def discard(self, key: str, token: str) -> None: ...

    async def clear(self, key: str) -> None: ...


class DbFailures:
    """With a session pool, an attempt is written (committed at once: it counts for other
    requests while its password is being checked), read and discarded on connections of
    its own, each returned at once, all before the request's session touches the
    database; without a pool, everything joins the session's transaction."""

    def __init__(self, session: AsyncSession, pool: Any = None) -> None:
        self.session = session
        self.pool = pool

    async def _write(self, stmt: Any = None, row: LoginFailure | None = None) -> None:
        if self.pool is None:
            await self._apply(self.session, stmt, row)
            return
        async with self.pool() as session, session.begin():
            await self._apply(session, stmt, row)

    @staticmethod
    async def _apply(session: AsyncSession, stmt: Any, row: LoginFailure | None) -> None:
        if row is not None:
            session.add(row)
        if stmt is not None:
            await session.execute(stmt)
        await session.flush()

    async def recent(self, key: str, since: datetime, limit: int) -> list[datetime]:
        stmt = (
            select(LoginFailure.at)
            .where(LoginFailure.login == key, LoginFailure.at > since)
            .order_by(LoginFailure.at.desc())
            .limit(limit)
        )
        if self.pool is None:
            rows = list(await self.session.scalars(stmt))
        else:  # a connection borrowed and returned: the request's is not taken yet
            async with self.pool() as session:
                rows = list(await session.scalars(stmt))
        # SQLite hands back naive datetimes for what was stored in UTC.
        return [at if at.tzinfo else at.replace(tzinfo=UTC) for at in rows]

    async def add(self, key: str, at: datetime, window: timedelta) -> str:
        row = LoginFailure(login=key, at=at)
        # Old entries go as new ones come: the table holds about one window's worth.
        await self._write(delete(LoginFailure).where(LoginFailure.at <= at - 2 * window), row)
        return str(row.id)

    async def discard(self, key: str, token: str) -> None:
        await self._write(delete(LoginFailure).where(LoginFailure.id == int(token)))

    async def clear(self, key: str) -> None:
        # In the request's own transaction: by now it holds a connection, and asking the
        # pool for a second one from many requests at once could exhaust it.
        await self.session.execute(delete(LoginFailure).where(LoginFailure.login == key))


class RedisFailures:
    """One sorted set per login (score: the failure's time), expiring after the window."""

    def __init__(self, redis: Any, prefix: str = "api:login_failures") -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def recent(self, key: str, since: datetime, limit: int) -> list[datetime]:
        found = await self.redis.zrevrangebyscore(
            self._key(key), "+inf", f"({since.timestamp()}", start=0, num=limit, withscores=True
        )
        return [datetime.fromtimestamp(score, UTC) for _member, score in found]

    async def add(self, key: str, at: datetime, window: timedelta) -> str:
        name, token = self._key(key), uuid.uuid4().hex
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(name, {token: at.timestamp()})
            pipe.zremrangebyscore(name, "-inf", (at - window).timestamp())
            pipe.expire(name, int(window.total_seconds()) + 60)
            await pipe.execute()
        return token

    async def discard(self, key: str, token: str) -> None:
        await self.redis.zrem(self._key(key), token)

    async def clear(self, key: str) -> None:
        await self.redis.delete(self._key(key))
