"""Helpers for tests with several dispatchers ("workers") on one database and one Redis."""

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import Update

from bot.factory import create_bot, create_dispatcher
from bot.storage import SessionRedisStorage
from tests.conftest import REDIS_URL
from tests.tg import BotEnv, FakeBotAPI


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own in the test Redis (skipped without one); its keys
    are deleted afterwards."""
    prefix = f"t-{uuid.uuid4().hex[:10]}"
    probe = SessionRedisStorage.from_url(REDIS_URL)
    try:
        await probe.redis.ping()
    except Exception as exc:
        await probe.close()
        pytest.skip(f"no Redis server at {REDIS_URL}: {exc}")
    yield prefix
    async for key in probe.redis.scan_iter(f"{prefix}:*"):
        await probe.redis.delete(key)
    await probe.close()


@pytest.fixture
async def workers(pool, redis_prefix) -> AsyncIterator[Callable[..., BotEnv]]:
    """Builds a "worker": a dispatcher as webhook mode builds it (exactly once, Redis
    storage, locks and throttling), on a fake Bot API shared by all of them."""
    api = FakeBotAPI()
    storages: list[RedisStorage] = []

    def make(settings, **kwargs) -> BotEnv:
        storage = SessionRedisStorage.from_url(
            REDIS_URL,
            key_builder=DefaultKeyBuilder(prefix=redis_prefix, with_bot_id=True, with_destiny=True),
        )
        storages.append(storage)
        kwargs.setdefault("answer_in_reply", True)
        dp = create_dispatcher(settings, pool, storage, exactly_once=True, **kwargs)
        env = BotEnv(dp, create_bot(settings, session=api), api)
        # Telegram numbers updates per bot: workers never make up the same id.
        env._update_ids = itertools.count(1 + 100_000 * len(storages))
        env._ids = itertools.count(1 + 100_000 * len(storages))  # messages, queries
        return env

    yield make
    assert [str(e) for e in api.unexpected_refusals()] == []
    for storage in storages:
        await storage.close()


@dataclass
class Twice:
    updates: list[Update] = field(default_factory=list)
    again: list[Any] = field(default_factory=list)  # Bot API calls of the second deliveries


@contextlib.contextmanager
def delivered_twice(first: BotEnv, second: BotEnv, *, at_once: bool) -> Iterator[Twice]:
    """While inside: every update `first` gets goes to `second` too (as Telegram does when
    an answer was slow): at the same moment, or once the first has been handled."""
    feed = first.feed
    record = Twice()

    async def twice(update: Update):
        record.updates.append(update)
        if at_once:
            reply, _ = await asyncio.gather(feed(update), second.feed(update))
            return reply
        reply = await feed(update)
        record.again.extend((await second.feed(update)).calls)
        return reply

    first.feed = twice  # type: ignore[method-assign]
    try:
        yield record
    finally:
        first.feed = feed  # type: ignore[method-assign]
