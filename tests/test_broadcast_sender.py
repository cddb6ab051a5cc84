"""The background sender: rate limit, 429 and 403, progress edits, restart and crash."""

import asyncio

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import select

from jobs.broadcaster import Broadcaster, RateLimiter
from models import Broadcast, BroadcastRecipient, BroadcastStatus, RecipientStatus, Role, User
from services.broadcast import BroadcastService
from tests.conftest import ADMIN_ID, PG_URL
from tests.factories import make_user
from tests.tg import FakeBotAPI

USERS = list(range(101, 131))  # 30 customers


class FakeClock:
    """Time that passes only when someone sleeps; every sleep still yields to the loop."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(seconds, 0)
        await asyncio.sleep(0)


TEXT = "Hello <b>all</b>"


def sends_to(api: FakeBotAPI, chat_id: int) -> int:
    """How many times the broadcast (not the admin's report) went to `chat_id`."""
    return sum(
        1
        for r in api.requests
        if isinstance(r, SendMessage) and r.chat_id == chat_id and r.text == TEXT
    )


async def _queue(pool, admin_language: str = "en", progress_message_id: int | None = None) -> int:
    """A running broadcast to USERS and the admin, queued as the Confirm button queues it
    (with no progress message unless one is given)."""
    async with pool() as s, s.begin():
        admin = await make_user(s, ADMIN_ID, role=Role.admin, language=admin_language)
        for uid in USERS:
            await make_user(s, uid)
        service = BroadcastService(s)
        draft = await service.save_draft(admin, TEXT, None)
        await service.start(admin, draft.id, ADMIN_ID, progress_message_id)
        return draft.id


def _sender(env, settings, pool, clock: FakeClock | None = None, **overrides) -> Broadcaster:
    settings = settings.model_copy(
        update={"broadcast_rate": 0, "broadcast_progress_interval": 0.01, **overrides}
    )
    timing = {"clock": clock, "sleep": clock.sleep} if clock else {}
    return Broadcaster(pool, settings, env.dp["i18n"], **timing)


async def _broadcast(pool, broadcast_id: int) -> Broadcast:
    async with pool() as s:
        return await s.get(Broadcast, broadcast_id)


async def _statuses(pool, broadcast_id: int) -> dict[str, int]:
    async with pool() as s:
        rows = await s.scalars(
            select(BroadcastRecipient.status).where(BroadcastRecipient.broadcast_id == broadcast_id)
        )
        out: dict[str, int] = {}
        for status in rows:
            out[status.value] = out.get(status.value, 0) + 1
        return out


async def test_limiter_spaces_sends_and_honours_pauses():
    clock = FakeClock()
    limiter = RateLimiter(25, clock=clock, sleep=clock.sleep)
    for _ in range(51):
        await limiter.acquire()
    assert abs(clock.now - 50 / 25) < 1e-9  # evenly spaced, no burst
    limiter.pause(3)
    before = clock.now
    await limiter.acquire()
    assert clock.now - before >= 3
    off = RateLimiter(0, clock=clock, sleep=clock.sleep)
    before = len(clock.slept)
    for _ in range(1000):
        await off.acquire()
    assert len(clock.slept) == before


async def test_broadcast_is_sent_at_the_configured_rate(env, settings, pool):
    clock = FakeClock()
    broadcast_id = await _queue(pool)
    sender = _sender(env, settings, pool, clock, broadcast_rate=10, broadcast_concurrency=4)
    sender.start(broadcast_id, env.bot)
    await sender.wait(broadcast_id)
    assert all(sends_to(env.api, uid) == 1 for uid in USERS)
    # 31 messages at 10/s: the last one 3 s after the first.
    assert abs(clock.now - 3.0) < 1e-6


async def test_429_waits_retry_after_and_retries_the_same_user(env, settings, pool):
    clock = FakeClock()
    broadcast_id = await _queue(pool)
    throttled: set[int] = set()

    def hook(method):
        if isinstance(method, SendMessage) and method.chat_id == USERS[5] and not throttled:
            throttled.add(method.chat_id)
            return TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=7)
        return None

    env.api.hook = hook
    sender = _sender(env, settings, pool, clock)
    sender.start(broadcast_id, env.bot)
    await sender.wait(broadcast_id)
    assert sends_to(env.api, USERS[5]) == 2  # the 429, then the delivery
    assert 7 in clock.slept
    broadcast = await _broadcast(pool, broadcast_id)
    assert (broadcast.sent, broadcast.failed) == (31, 0)


async def test_blocked_users_are_marked_inactive_and_skipped_next_time(env, settings, pool):
    broadcast_id = await _queue(pool)
    blocked, missing = USERS[3], USERS[4]

    def hook(method):
        if isinstance(method, SendMessage) and method.chat_id == blocked:
            return TelegramForbiddenError(
                method=method, message="Forbidden: bot was blocked by the user"
            )
        if isinstance(method, SendMessage) and method.chat_id == missing:
            return TelegramBadRequest(method=method, message="Bad Request: chat not found")
        return None

    env.api.hook = hook
    sender = _sender(env, settings, pool)
    sender.start(broadcast_id, env.bot)
    await sender.wait(broadcast_id)
    broadcast = await _broadcast(pool, broadcast_id)
    assert (broadcast.sent, broadcast.failed, broadcast.blocked) == (29, 2, 1)
    report = [r for r in env.api.requests if isinstance(r, SendMessage)][-1]
    assert report.chat_id == ADMIN_ID and "Failed: 2 (blocked the bot: 1)" in report.text
    async with pool() as s:
        active = dict((await s.execute(select(User.telegram_id, User.is_active))).all())
        assert active[blocked] is False and active[missing] is True
        admin = await s.scalar(select(User).where(User.telegram_id == ADMIN_ID))
        service = BroadcastService(s)
        second = await service.save_draft(admin, "Again", None)
        await service.start(admin, second.id, ADMIN_ID, None)
        await s.commit()
    env.api.requests.clear()
    sender.start(second.id, env.bot)
    await sender.wait(second.id)
    assert sends_to(env.api, blocked) == 0
    assert (await _broadcast(pool, second.id)).total == 30


async def test_restart_in_the_middle_sends_everyone_exactly_once(make_env, env, settings, pool):
    clock = FakeClock()
    broadcast_id = await _queue(pool)
    sender = _sender(
        env,
        settings,
        pool,
        clock,
        broadcast_rate=25,
        broadcast_batch_size=4,
        broadcast_concurrency=3,
    )
    delivered = 0

    def crash_after_ten(method):
        nonlocal delivered
        if isinstance(method, SendMessage):
            delivered += 1
            if delivered == 10:
                sender.tasks[broadcast_id].cancel()  # the process is told to stop
                ten.set()
        return None

    ten = asyncio.Event()
    env.api.hook = crash_after_ten
    sender.start(broadcast_id, env.bot)
    await ten.wait()
    await sender.stop()
    first = await _broadcast(pool, broadcast_id)
    assert first.status is BroadcastStatus.running
    assert first.sent == 10 and first.failed == 0
    assert RecipientStatus.sending.value not in await _statuses(pool, broadcast_id)

    # A new process: new dispatcher, new API session, same database.
    env2 = make_env(settings)
    sender2 = _sender(env2, settings, pool, FakeClock(), broadcast_rate=25)
    assert await sender2.resume(env2.bot) == [broadcast_id]
    await sender2.wait(broadcast_id)

    for uid in [*USERS, ADMIN_ID]:
        assert sends_to(env.api, uid) + sends_to(env2.api, uid) == 1, uid
    final = await _broadcast(pool, broadcast_id)
    assert final.status is BroadcastStatus.done
    assert (final.total, final.sent, final.failed) == (31, 31, 0)


async def test_rows_in_flight_at_a_crash_are_never_resent(env, settings, pool):
    """A process killed after claiming a batch: those users may have got the message, so
    they are counted failed and not sent again; everyone else gets it once."""
    broadcast_id = await _queue(pool)
    async with pool() as s, s.begin():
        in_flight = await BroadcastService(s).claim(broadcast_id, 3)
    sender = _sender(env, settings, pool)
    await sender.resume(env.bot)
    await sender.wait(broadcast_id)
    for claimed in in_flight:
        assert sends_to(env.api, claimed.telegram_id) == 0
    others = [uid for uid in USERS if uid not in {c.telegram_id for c in in_flight}]
    assert all(sends_to(env.api, uid) == 1 for uid in others)
    final = await _broadcast(pool, broadcast_id)
    assert (final.sent, final.failed, final.status) == (28, 3, BroadcastStatus.done)


async def test_progress_is_edited_and_edit_errors_do_not_stop_it(env, settings, pool):
    progress = await env.bot.send_message(ADMIN_ID, "progress")
    broadcast_id = await _queue(pool, admin_language="ru", progress_message_id=progress.message_id)
    edits = sends = 0

    def hook(method):
        nonlocal edits, sends
        if isinstance(method, EditMessageText):
            edits += 1
            if edits == 2:
                ticked.set()
            if edits == 1:  # the first progress edit fails; the broadcast goes on
                return TelegramBadRequest(method=method, message="Bad Request: flood")
        elif isinstance(method, SendMessage):
            sends += 1
        return None

    async def held_for_two_ticks() -> None:
        # After ten messages, sending waits until the ticker has tried twice.
        if sends >= 10:
            await ticked.wait()

    ticked = asyncio.Event()
    env.api.hook = hook
    sender = _sender(env, settings, pool, broadcast_batch_size=5)
    sender.limiter.acquire = held_for_two_ticks
    sender.start(broadcast_id, env.bot)
    await sender.wait(broadcast_id)
    texts = [r.text for r in env.api.requests if isinstance(r, EditMessageText)]
    assert len(texts) >= 3
    assert "Осталось" in texts[1]  # the admin's language; the failed edit didn't stop it
    assert "завершена" in texts[-1] and "Отправлено: 31" in texts[-1]
    assert (await _broadcast(pool, broadcast_id)).sent == 31


@pytest.mark.skipif(not PG_URL, reason="a SQLite file serves one bot process")
async def test_a_second_process_leaves_a_running_broadcast_alone(make_env, env, settings, pool):
    """A second bot process starting while the first is mid-batch neither sends the
    broadcast nor writes off the first one's in-flight rows."""
    broadcast_id = await _queue(pool)
    sends = 0
    two_sent, go_on = asyncio.Event(), asyncio.Event()

    def hook(method):
        nonlocal sends
        if isinstance(method, SendMessage):
            sends += 1
            if sends == 2:
                two_sent.set()
        return None

    async def held() -> None:
        if sends >= 2:
            await go_on.wait()

    env.api.hook = hook
    first = _sender(env, settings, pool, broadcast_batch_size=4)
    first.limiter.acquire = held
    first.start(broadcast_id, env.bot)
    await two_sent.wait()  # the first process holds a claimed batch, half sent

    env2 = make_env(settings)
    second = _sender(env2, settings, pool)
    assert await second.resume(env2.bot) == [broadcast_id]
    await second.wait(broadcast_id)
    assert not any(isinstance(r, SendMessage) for r in env2.api.requests)
    assert (await _broadcast(pool, broadcast_id)).failed == 0

    go_on.set()
    await first.wait(broadcast_id)
    assert all(sends_to(env.api, uid) == 1 for uid in [*USERS, ADMIN_ID])
    final = await _broadcast(pool, broadcast_id)
    assert (final.sent, final.failed, final.status) == (31, 0, BroadcastStatus.done)


async def test_a_user_banned_while_it_sends_gets_nothing_more(env, settings, pool):
    """Banned after the broadcast was queued (its audience counted them): their row is
    skipped, counted failed, and everyone else gets it once. So is a row claimed before
    the ban and given back at a clean stop (a redeploy), sent after the restart."""
    from services.admin import AdminService

    broadcast_id = await _queue(pool)
    banned = USERS[-1]
    async with pool() as s, s.begin():
        admin = await s.scalar(select(User).where(User.telegram_id == ADMIN_ID))
        target = await s.scalar(select(User).where(User.telegram_id == banned))
        await AdminService(s).ban(admin, target.id)
    sender = _sender(env, settings, pool)
    sender.start(broadcast_id, env.bot)
    await sender.wait(broadcast_id)
    assert sends_to(env.api, banned) == 0
    assert all(sends_to(env.api, uid) == 1 for uid in [*USERS[:-1], ADMIN_ID])
    final = await _broadcast(pool, broadcast_id)
    assert (final.status, final.total, final.sent, final.failed) == (
        BroadcastStatus.done,
        31,
        30,
        1,
    )

    # Claimed, then banned, then the process stopped before sending: given back, and
    # skipped when claimed again.
    second = await _queue_again(pool)
    async with pool() as s, s.begin():
        claimed = await BroadcastService(s).claim(second, 5)
    later = next(c for c in claimed if c.telegram_id in USERS)
    async with pool() as s, s.begin():
        admin = await s.scalar(select(User).where(User.telegram_id == ADMIN_ID))
        await AdminService(s).ban(admin, later.user_id)
    async with pool() as s, s.begin():
        await BroadcastService(s).record(second, {}, release=claimed)
    env.api.requests.clear()
    await sender.resume(env.bot)
    await sender.wait(second)
    assert sends_to(env.api, later.telegram_id) == 0
    final = await _broadcast(pool, second)
    assert (final.status, final.total, final.sent, final.failed) == (
        BroadcastStatus.done,
        30,
        29,
        1,
    )


async def _queue_again(pool) -> int:
    """A second broadcast to everyone not banned, by the same admin."""
    async with pool() as s, s.begin():
        admin = await s.scalar(select(User).where(User.telegram_id == ADMIN_ID))
        service = BroadcastService(s)
        draft = await service.save_draft(admin, TEXT, None)
        await service.start(admin, draft.id, ADMIN_ID, None)
        return draft.id
