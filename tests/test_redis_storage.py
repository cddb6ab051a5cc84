"""With REDIS_URL the dialog state lives in Redis and survives a restart too.

Needs a Redis server: TEST_REDIS_URL, or redis://127.0.0.1:6379/0. Skipped, with the
reason, when there is none.
"""

import uuid

import pytest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from bot.factory import create_storage
from tests.conftest import REDIS_URL
from tests.tg import BOT_ID


@pytest.fixture
async def redis_storage_factory():
    prefix = f"fsm-test-{uuid.uuid4().hex[:8]}"
    made: list[RedisStorage] = []

    def make() -> RedisStorage:
        storage = RedisStorage.from_url(
            REDIS_URL, key_builder=DefaultKeyBuilder(prefix=prefix, with_bot_id=True)
        )
        made.append(storage)
        return storage

    probe = make()
    try:
        await probe.redis.ping()
    except Exception as exc:
        pytest.skip(f"no Redis server at {REDIS_URL}: {exc}")
    yield make
    async for key in probe.redis.scan_iter(f"{prefix}:*"):
        await probe.redis.delete(key)
    for storage in made:
        await storage.close()


def test_redis_url_selects_redis_storage(settings, pool):
    storage = create_storage(settings.model_copy(update={"redis_url": REDIS_URL}), pool)
    assert isinstance(storage, RedisStorage)


async def test_dialog_state_in_redis_survives_a_restart(make_env, settings, redis_storage_factory):
    env = make_env(settings, storage=redis_storage_factory())
    await env.user(1).send("/start")
    key = StorageKey(bot_id=BOT_ID, chat_id=1, user_id=1)
    await FSMContext(redis_storage_factory(), key).set_state("SomeDialog:step")

    restarted = make_env(settings, storage=redis_storage_factory())
    reply = await restarted.user(1).send("some text")
    assert "not what this step expects" in reply.text
    reply = await restarted.user(1).send("/cancel")
    assert reply.text == "Cancelled."
    assert await FSMContext(redis_storage_factory(), key).get_state() is None
