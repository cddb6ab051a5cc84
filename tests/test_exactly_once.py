# ruff: noqa: F811  (fixtures imported from other test modules)
"""Several workers: an update delivered twice is handled once; two presses of one user
on two workers at once leave the dialog and the cart consistent."""

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiogram.filters import Command
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Message, Update
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.factory import create_bot, create_dispatcher
from bot.middlewares.gate import RedisGateMiddleware
from bot.storage import SqlStorage
from keyboards.callback_data import (
    CartAddCb,
    MenuAction,
    MenuCb,
    ProductCb,
    ReviewGradeCb,
    ReviewStartCb,
)
from models import CartItem, FsmRecord, Order, OrderStatus, ProcessedUpdate, Product, Review
from services.errors import NotSaved
from tests.redis_env import delivered_twice, redis_prefix, workers  # noqa: F401 (fixtures)
from tests.test_checkout import to_summary
from tests.test_payments import fresh, order_by, tea  # noqa: F401 (tea is a fixture)
from tests.test_reviews import shop, write_review  # noqa: F401 (shop is a fixture)
from tests.tg import BOT_ID, BotEnv, FakeBotAPI


def sends(api: FakeBotAPI, chat_id: int, text: str) -> int:
    """Messages sent or edited into `chat_id` that say `text`."""
    return sum(
        1
        for r in api.requests
        if getattr(r, "chat_id", None) == chat_id and text in (getattr(r, "text", None) or "")
    )


@pytest.mark.parametrize("at_once", [False, True], ids=["after", "at-once"])
async def test_an_order_confirmed_twice_is_placed_once(workers, settings, session, tea, at_once):
    one, two = workers(settings), workers(settings)
    ann = one.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    with delivered_twice(one, two, at_once=at_once) as twice:
        await ann.press("Confirm")
    assert len(twice.updates) == 1 and twice.again == []
    assert await session.scalar(select(func.count()).select_from(Order)) == 1
    assert (await fresh(session, Product, tea.id)).stock == 4
    assert sends(one.api, 1, "Order #1") == 1
    assert sends(one.api, 1, "Order #2") == 0


async def test_a_review_published_twice_is_one_review(workers, settings, session, shop):
    one, two = workers(settings), workers(settings)
    ann = one.user(1)
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("4⭐")
    await ann.send("Nice")
    with delivered_twice(one, two, at_once=True):
        await ann.press("Publish")
    session.expire_all()
    [review] = await session.scalars(select(Review))
    assert review.grade == 4
    product = await session.get(Product, shop)
    assert (product.rating_sum, product.rating_count) == (4, 1)
    assert sends(one.api, 2, "New review of") == 1  # the seller hears once


@pytest.mark.parametrize("at_once", [False, True], ids=["after", "at-once"])
async def test_a_payment_delivered_twice_counts_once(workers, settings, session, tea, at_once):
    settings = settings.model_copy(update={"payment_method": "stars"})
    one, two = workers(settings), workers(settings)
    ann = one.user(1)
    await order_by(ann, tea)
    with delivered_twice(one, two, at_once=at_once) as twice:
        await ann.pay("order:1", 13, charge_id="ch-1")
    assert twice.again == []
    order = await fresh(session, Order, 1)
    assert (order.status, order.telegram_payment_charge_id) == (OrderStatus.paid, "ch-1")
    assert (await fresh(session, Product, tea.id)).stock == 4
    assert sends(one.api, 1, "Order #1 is paid") == 1


async def test_an_update_whose_handling_failed_is_handled_when_delivered_again(
    workers, settings, session, tea
):
    one, two = workers(settings), workers(settings)
    ann = one.user(1)
    failing = [True]

    async def crash_once(*_args):
        if failing.pop() if failing else False:
            raise ConnectionResetError("the database went away")

    # The first delivery dies in the update's transaction, before the commit (the errors
    # router apologises, answering the button; the second delivery's answer is refused).
    one.api.allow("query is too old")
    one.dp.update.outer_middleware.register(_Crash(crash_once))
    with delivered_twice(one, two, at_once=False):
        await ann.click(CartAddCb(product_id=tea.id))
    session.expire_all()
    [item] = await session.scalars(select(CartItem))
    assert item.quantity == 1  # added once: by the second delivery


class _Crash:
    def __init__(self, crash) -> None:
        self.crash = crash

    async def __call__(self, handler, event, data):
        result = await handler(event, data)
        await self.crash()
        return result


async def test_two_presses_of_one_user_on_two_workers_at_once(workers, settings, session, tea):
    one, two = workers(settings), workers(settings)
    ann_one, ann_two = one.user(1), two.user(1)
    await ann_one.send("/start")
    await asyncio.gather(
        *((ann_one if i % 2 else ann_two).click(CartAddCb(product_id=tea.id)) for i in range(4))
    )
    session.expire_all()
    [item] = await session.scalars(select(CartItem))
    assert item.quantity == 4  # no press lost to a race
    answers = [r.text for r in one.api.requests if isinstance(r, AnswerCallbackQuery)]
    assert sorted(answers) == [f"Added to the cart ({n} in it)." for n in range(1, 5)]


async def test_two_dialog_steps_at_once_leave_one_consistent_state(
    workers, settings, session, shop
):
    one, two = workers(settings), workers(settings)
    ann_one, ann_two = one.user(1), two.user(1)
    await ann_one.click(ReviewStartCb(product_id=shop))
    message = ann_one.pressable_message
    await asyncio.gather(
        ann_one.click(ReviewGradeCb(product_id=shop, grade=3), message),
        ann_two.click(ReviewGradeCb(product_id=shop, grade=5), message),
    )
    reply = await ann_one.send("Fine")
    assert "Step 3 of 3" in reply.text
    await ann_one.press("Publish")
    session.expire_all()
    [review] = await session.scalars(select(Review))
    assert review.grade in {3, 5} and review.comment == "Fine"


async def test_without_redis_the_mark_is_a_row_in_the_update_transaction(
    pool, settings, session, tea
):
    api = FakeBotAPI()
    envs = [
        BotEnv(
            create_dispatcher(settings, pool, SqlStorage(pool), exactly_once=True),
            create_bot(settings, session=api),
            api,
        )
        for _ in range(2)
    ]
    ann = envs[0].user(1)
    with delivered_twice(envs[0], envs[1], at_once=False) as twice:
        await ann.click(CartAddCb(product_id=tea.id))
    assert twice.again == []
    session.expire_all()
    [item] = await session.scalars(select(CartItem))
    assert item.quantity == 1
    assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1
    assert await session.scalar(select(FsmRecord)) is None


async def test_a_press_whose_done_mark_redis_missed_still_gets_its_answer(
    workers, settings, session, tea
):
    """The press committed; Redis failing on the "done" mark afterwards must not turn the
    answer into "try again" (the customer would press again and add it twice)."""
    one = workers(settings)
    gate = _gate(one)
    gate._leave.registered_client = _MissesDone(gate.redis)
    reply = await one.user(1).click(CartAddCb(product_id=tea.id))
    assert reply.alert == "Added to the cart (1 in it)."  # not "technical trouble"
    session.expire_all()
    [item] = await session.scalars(select(CartItem))
    assert item.quantity == 1


class _MissesDone:
    """A Redis client that fails as if Redis went away: given to the script that sets
    the "done" mark once an update was handled."""

    def __init__(self, redis) -> None:
        self._redis = redis

    def __getattr__(self, name: str):
        return getattr(self._redis, name)

    async def evalsha(self, *args, **kwargs):
        raise RedisConnectionError("Redis went away")


def _gate(env: BotEnv) -> RedisGateMiddleware:
    [gate] = [m for m in env.dp.update.outer_middleware if isinstance(m, RedisGateMiddleware)]
    return gate


@contextlib.contextmanager
def redelivered_after_redis_forgot(first: BotEnv, second: BotEnv) -> Iterator[list[Any]]:
    """Every update `first` handles goes to `second` as well, after Redis lost its mark:
    the worker that committed was killed before its "done" mark and the "busy" mark
    expired. Yields the Bot API calls of the second deliveries."""
    feed, again = first.feed, []
    gate = _gate(first)

    async def twice(update: Update):
        reply = await feed(update)
        async for key in gate.redis.scan_iter(f"{gate.prefix}:update:*"):
            await gate.redis.delete(key)
        again.extend((await second.feed(update)).calls)
        return reply

    first.feed = twice  # type: ignore[method-assign]
    try:
        yield again
    finally:
        first.feed = feed  # type: ignore[method-assign]


async def test_a_press_committed_before_its_worker_died_is_not_done_again(
    workers, settings, session, tea
):
    one, two = workers(settings), workers(settings)
    ann = one.user(1)
    with redelivered_after_redis_forgot(one, two) as again:
        reply = await ann.click(CartAddCb(product_id=tea.id))
    assert reply.alert == "Added to the cart (1 in it)."
    session.expire_all()
    [item] = await session.scalars(select(CartItem))
    assert item.quantity == 1  # not 2: the database's mark stopped the second delivery
    # ...which says nothing of the "2 in it" it had computed before it was rolled back
    assert [c for c in again if isinstance(c, AnswerCallbackQuery) and c.text] == []


async def test_a_commit_in_the_middle_of_a_handler_carries_the_mark(
    workers, settings, session, tea
):
    """Handlers commit before a reply that promises something was saved ("Order
    placed"): the mark goes in with that first commit, so a handler that commits and
    then fails or is killed is not redone either."""
    one, two = workers(settings), workers(settings)

    async def restock(message: Message, session: AsyncSession) -> None:
        await session.execute(update(Product).values(stock=Product.stock + 1))
        await session.commit()
        await message.answer("Restocked")

    for env in (one, two):
        env.dp.message.register(restock, Command("restock"))
    with redelivered_after_redis_forgot(one, two) as again:
        await one.user(1).send("/restock")
    assert (await fresh(session, Product, tea.id)).stock == 6  # 5 + 1, once
    assert again == []  # the second delivery said nothing


@pytest.mark.parametrize("end", ["stopped", "failed", "refused"])
async def test_an_update_stopped_after_its_commit_is_not_redone(
    workers, settings, session, tea, caplog, end
):
    """A worker's shutdown cancels an update stuck on the Bot API after its commit (or
    it fails there): Telegram delivers it again, and that delivery must not say again
    what the first said before its commit. Before, its mark was forgotten: the second
    delivery sent "Step one" again, then was rolled back at its commit."""
    one, two = workers(settings), workers(settings)
    stuck = asyncio.Event()

    async def restock(message: Message, session: AsyncSession) -> None:
        await message.answer("Step one")
        await session.execute(update(Product).values(stock=Product.stock + 1))
        await session.commit()
        stuck.set()
        if end == "failed":
            raise RuntimeError("the notice could not be sent")
        if end == "refused":  # a second commit the database refused: the first stays
            raise NotSaved()
        await asyncio.sleep(3600)  # a Bot API call that hangs

    for env in (one, two):
        env.dp.message.register(restock, Command("restock"))
    updates, feed = [], one.feed

    async def kept(update: Update):
        updates.append(update)
        return await feed(update)

    one.feed = kept  # type: ignore[method-assign]
    one.api.allow("message to reply not found")
    first = asyncio.create_task(one.user(1).send("/restock"))
    await asyncio.wait_for(stuck.wait(), 5)
    if end == "stopped":
        first.cancel()  # as the drain does; a failure ends it on its own
    with contextlib.suppress(asyncio.CancelledError):
        await first
    again = await two.feed(updates[0])
    assert again.calls == []  # the second delivery was skipped
    assert (await fresh(session, Product, tea.id)).stock == 6  # 5 + 1, once
    assert sends(one.api, 1, "Step one") == 1
    logged = any("stopped after it committed" in r.getMessage() for r in caplog.records)
    assert logged is (end != "refused")  # a refusal is answered, nothing is lost


async def test_a_savepoint_does_not_use_up_the_mark(workers, settings, session, tea):
    """A SAVEPOINT released (or rolled back after a conflict, as services do) is not the
    update's commit: the mark goes in with the transaction's own commit."""
    one, two = workers(settings), workers(settings)
    session.add(FsmRecord(key="taken", state=None, data={}))
    await session.commit()

    async def restock(message: Message, session: AsyncSession) -> None:
        try:
            async with session.begin_nested():
                session.add(FsmRecord(key="taken", state=None, data={}))
        except IntegrityError:
            pass  # the row is there already
        await session.execute(update(Product).values(stock=Product.stock + 1))
        await message.answer("Restocked")

    for env in (one, two):
        env.dp.message.register(restock, Command("restock"))
    with redelivered_after_redis_forgot(one, two):
        await one.user(1).send("/restock")
    assert (await fresh(session, Product, tea.id)).stock == 6  # 5 + 1, once
    # (What a handler sends before its commit goes out again: the mark stops the write.)


async def test_presses_that_only_read_leave_no_mark_in_the_database(
    workers, settings, session, tea
):
    one = workers(settings)
    ann = one.user(1)
    await ann.send("/start")  # registers: a write, marked
    marks = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    await ann.click(MenuCb(action=MenuAction.catalog))
    await ann.click(ProductCb(id=tea.id))
    assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == marks


async def test_a_press_on_a_worker_goes_to_redis_once_in_and_once_out(workers, settings, tea):
    """Going in, one script marks the update, takes a throttling token, takes the user's
    lock and reads the dialog state; going out, one releases the lock and marks the
    update done. They were six round trips, one after another."""
    one = workers(settings.model_copy(update={"throttle_rate": 3.0, "throttle_burst": 8}))
    ann = one.user(1)
    await ann.send("/start")
    gate = _gate(one)
    sent: list[list[str]] = []
    real = gate.redis.execute_command

    async def counting(*args, **kwargs):
        sent.append([a.decode() if isinstance(a, bytes) else str(a) for a in args])
        return await real(*args, **kwargs)

    gate.redis.execute_command = counting
    reply = await ann.click(ProductCb(id=tea.id))
    assert "Tea" in reply.text
    assert [command[0] for command in sent] == ["EVALSHA", "EVALSHA"], sent
    going_in, going_out = (" ".join(command) for command in sent)
    assert all(f":{part}" in going_in for part in ("update:", "throttle:", "lock", "state"))
    assert ":lock" in going_out and ":update:" in going_out
    gate.redis.execute_command = real
    [mark] = [k async for k in gate.redis.scan_iter(f"{gate.prefix}:update:*")][-1:]
    assert await gate.redis.get(mark) == b"done"
    assert [k async for k in gate.redis.scan_iter(f"{gate.prefix}:*:lock")] == []


async def test_a_delivery_stopped_while_it_waited_for_the_users_lock_is_handled_again(
    workers, settings, session, tea, monkeypatch
):
    """A press waits behind the user's previous update and is stopped meanwhile (the
    worker shuts down): its mark must not stay "busy", or Telegram's next delivery would
    find it and be dropped."""
    monkeypatch.setattr("bot.middlewares.gate.WAIT", 0.5)  # a stale mark: over quickly
    one = workers(settings)
    ann = one.user(1)
    await ann.send("/start")
    gate = _gate(one)
    lock = gate.key_builder.build(StorageKey(bot_id=BOT_ID, chat_id=1, user_id=1), "lock")
    await gate.redis.set(lock, "the previous update's", px=60_000)
    seen: list[Update] = []
    feed = one.feed

    async def recording(update: Update):
        seen.append(update)
        return await feed(update)

    one.feed = recording  # type: ignore[method-assign]
    press = asyncio.create_task(ann.click(CartAddCb(product_id=tea.id)))
    for _ in range(500):  # until the press has its mark and waits for the lock
        if seen and await gate.redis.exists(f"{gate.prefix}:update:{BOT_ID}:{seen[0].update_id}"):
            break
        await asyncio.sleep(0.01)
    press.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await press
    await gate.redis.delete(lock)  # the previous update is over
    reply = await feed(seen[0])  # Telegram delivers the press again
    assert reply.alert == "Added to the cart (1 in it)."
    session.expire_all()
    [item] = await session.scalars(select(CartItem))
    assert item.quantity == 1


async def test_an_update_that_outlived_its_lock_is_logged(workers, settings, caplog):
    one = workers(settings)
    gate = _gate(one)
    lock = gate.key_builder.build(StorageKey(bot_id=BOT_ID, chat_id=1, user_id=1), "lock")

    async def slow(message: Message) -> None:
        # The lock ran out meanwhile, and the user's next update took it.
        await gate.redis.set(lock, "the next update's", px=60_000)
        await message.answer("Done")

    one.dp.message.register(slow, Command("slow"))
    caplog.set_level(logging.WARNING)
    assert (await one.user(1).send("/slow")).text == "Done"
    assert await gate.redis.get(lock) == b"the next update's"  # not released by the first
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "took longer than the user's lock lasts" in warning.getMessage()
