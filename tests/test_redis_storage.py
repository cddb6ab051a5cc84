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
from bot.storage import SessionRedisStorage, SqlStorage
from db.engine import current_session
from tests.conftest import REDIS_URL
from tests.tg import BOT_ID


@pytest.fixture
async def redis_storage_factory():
    prefix = f"fsm-test-{uuid.uuid4().hex[:8]}"
    made: list[RedisStorage] = []

    def make() -> RedisStorage:
        storage = SessionRedisStorage.from_url(
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
    assert isinstance(storage, SessionRedisStorage)


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


async def test_a_menu_press_reads_its_dialog_state_once_and_writes_nothing(
    make_env, settings, redis_storage_factory
):
    storage = redis_storage_factory()
    env = make_env(settings, storage=storage)
    user = env.user(1)
    await user.send("/start")
    dialog_keys: list[tuple[str, str]] = []
    real = storage.redis.execute_command

    async def counting(*args, **kwargs):
        keys = [a.decode() if isinstance(a, bytes) else str(a) for a in args[1:]]
        if any(k.endswith((":state", ":data")) for k in keys):
            dialog_keys.append((str(args[0]), " ".join(keys)))
        return await real(*args, **kwargs)

    storage.redis.execute_command = counting
    reply = await user.send("/catalog")  # leaves "no dialog" for "no dialog"
    assert reply.text
    assert [command for command, _keys in dialog_keys] == ["MGET"], dialog_keys


async def test_a_dialog_step_is_still_saved_and_read_back(
    make_env, settings, redis_storage_factory
):
    """The cache of one update is not the next update's: a dialog goes on across updates,
    and /cancel (a write after reads) reaches Redis."""
    storage = redis_storage_factory()
    env = make_env(settings, storage=storage)
    await env.user(1).send("/start")
    key = StorageKey(bot_id=BOT_ID, chat_id=1, user_id=1)
    await FSMContext(storage, key).set_state("SomeDialog:step")
    reply = await env.user(1).send("some text")
    assert "not what this step expects" in reply.text
    await env.user(1).send("/cancel")
    assert await FSMContext(redis_storage_factory(), key).get_state() is None


@pytest.mark.parametrize("kind", ["sql", "redis"])
async def test_changing_a_list_inside_the_data_and_saving_it_is_saved(
    kind, pool, redis_storage_factory
):
    """Within an update the storages hand out copies: a handler that appends to a list it
    read and saves the data must not find its write skipped as "unchanged"."""
    storage = redis_storage_factory() if kind == "redis" else SqlStorage(pool)
    key = StorageKey(bot_id=BOT_ID, chat_id=7, user_id=7)
    await storage.set_data(key, {"picked": [1]})
    async with pool() as session, session.begin():
        token = current_session.set(session)
        try:
            data = await storage.get_data(key)
            data["picked"].append(2)
            await storage.set_data(key, data)
            assert (await storage.get_data(key))["picked"] == [1, 2]
        finally:
            current_session.reset(token)
    assert (await storage.get_data(key))["picked"] == [1, 2]
