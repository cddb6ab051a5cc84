"""With REDIS_URL the dialog state lives in Redis and survives a restart too.

Needs a Redis server: TEST_REDIS_URL, or redis://127.0.0.1:6379/0. Skipped, with the
reason, when there is none.
"""

import asyncio
import contextvars
import uuid

import pytest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from bot.factory import create_storage
from bot.storage import HeldLock, SessionRedisStorage, SqlStorage, held_lock
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


async def test_a_menu_press_goes_to_redis_twice_and_writes_no_dialog_state(
    make_env, settings, redis_storage_factory
):
    """In: one script takes the user's lock and reads the dialog state; out: one
    releases it. aiogram's storage and lock took seven round trips: SET NX, GET state
    twice, GET data, DEL state and data, and the release script."""
    storage = redis_storage_factory()
    env = make_env(settings, storage=storage)
    user = env.user(1)
    await user.send("/start")
    sent: list[tuple[str, str]] = []
    real = storage.redis.execute_command

    async def counting(*args, **kwargs):
        keys = [a.decode() if isinstance(a, bytes) else str(a) for a in args[1:]]
        sent.append((str(args[0]), " ".join(keys)))
        return await real(*args, **kwargs)

    storage.redis.execute_command = counting
    reply = await user.send("/catalog")  # leaves "no dialog" for "no dialog"
    assert reply.text
    assert [command for command, _keys in sent] == ["EVALSHA", "EVALSHA"], sent
    [(_, going_in), (_, going_out)] = sent
    assert ":lock " in going_in and ":state " in going_in and ":data " in going_in
    assert ":lock " in going_out


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
        tokens = current_session.set(session), held_lock.set(HeldLock(key))
        try:
            data = await storage.get_data(key)
            data["picked"].append(2)
            await storage.set_data(key, data)
            assert (await storage.get_data(key))["picked"] == [1, 2]
        finally:
            current_session.reset(tokens[0])
            held_lock.reset(tokens[1])
    assert (await storage.get_data(key))["picked"] == [1, 2]


async def _in_update(pool, fn, key=None):
    """Runs `fn()` as an update does: its own session in `current_session`, the lock
    of its sender's dialog key held."""
    async with pool() as session:
        tokens = (
            current_session.set(session),
            held_lock.set(HeldLock(key) if key is not None else None),
        )
        try:
            return await fn()
        finally:
            current_session.reset(tokens[0])
            held_lock.reset(tokens[1])


async def test_resetting_another_users_dialog_is_not_skipped_on_a_stale_read(
    pool, redis_storage_factory
):
    """An admin's update reads a customer's dialog (no lock on the customer's key is held:
    the admin's update locks the admin's own key), the customer's own update enters a
    dialog meanwhile, then the admin resets the customer's dialog: that reset must reach
    Redis. With the cache it is compared with the admin's earlier read and skipped."""
    storage = redis_storage_factory()
    customer = StorageKey(bot_id=BOT_ID, chat_id=5, user_id=5)
    customer_entered = asyncio.Event()

    async def customer_update():
        await FSMContext(storage, customer).set_state("CheckoutStates:phone")
        customer_entered.set()

    async def admin_update():
        assert await FSMContext(storage, customer).get_state() is None  # shown to admin
        # the customer's update runs meanwhile (its own task, its own session)
        customer_task = asyncio.create_task(
            _in_update(pool, customer_update, customer), context=contextvars.Context()
        )
        await customer_entered.wait()
        await customer_task
        await FSMContext(storage, customer).clear()  # "reset this user's dialog"

    admin = StorageKey(bot_id=BOT_ID, chat_id=99, user_id=99)  # the admin's own lock
    await _in_update(pool, admin_update, admin)
    assert await FSMContext(redis_storage_factory(), customer).get_state() is None


async def test_json_round_trip_does_not_fool_the_unchanged_check(pool, redis_storage_factory):
    storage = redis_storage_factory()
    key = StorageKey(bot_id=BOT_ID, chat_id=6, user_id=6)

    async def first():
        await storage.set_data(key, {"ids": (1, 2), 3: True})

    async def second():
        data = await storage.get_data(key)
        assert data == {"ids": [1, 2], "3": True}
        await storage.set_data(key, {"ids": [1, 2], "3": 1})  # True -> 1: must be written

    await _in_update(pool, first, key)
    await _in_update(pool, second, key)
    assert await redis_storage_factory().get_data(key) == {"ids": [1, 2], "3": 1}


async def test_sql_storage_writes_true_over_a_stored_1(pool):
    storage = SqlStorage(pool)
    key = StorageKey(bot_id=BOT_ID, chat_id=7, user_id=7)
    await storage.set_data(key, {"flag": 1})

    async def update():
        await storage.get_data(key)
        await storage.set_data(key, {"flag": True})

    async with pool() as session, session.begin():
        tokens = current_session.set(session), held_lock.set(HeldLock(key))
        try:
            await update()
        finally:
            current_session.reset(tokens[0])
            held_lock.reset(tokens[1])
    assert (await storage.get_data(key))["flag"] is True
