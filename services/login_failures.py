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

    async def add(self, key: str, at: datetime, window: timedelta) -> None: ...

    async def clear(self, key: str) -> None: ...


class DbFailures:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recent(self, key: str, since: datetime, limit: int) -> list[datetime]:
        rows = await self.session.scalars(
            select(LoginFailure.at)
            .where(LoginFailure.login == key, LoginFailure.at > since)
            .order_by(LoginFailure.at.desc())
            .limit(limit)
        )
        # SQLite hands back naive datetimes for what was stored in UTC.
        return [at if at.tzinfo else at.replace(tzinfo=UTC) for at in rows]

    async def add(self, key: str, at: datetime, window: timedelta) -> None:
        self.session.add(LoginFailure(login=key, at=at))
        # Old entries go as new ones come: the table holds about one window's worth.
        await self.session.execute(delete(LoginFailure).where(LoginFailure.at <= at - 2 * window))
        await self.session.flush()

    async def clear(self, key: str) -> None:
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

    async def add(self, key: str, at: datetime, window: timedelta) -> None:
        name = self._key(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(name, {uuid.uuid4().hex: at.timestamp()})
            pipe.zremrangebyscore(name, "-inf", (at - window).timestamp())
            pipe.expire(name, int(window.total_seconds()) + 60)
            await pipe.execute()

    async def clear(self, key: str) -> None:
        await self.redis.delete(self._key(key))
