"""The foundation's plumbing seen from a user's side: sessions, errors, FSM, throttling."""

import asyncio
import contextlib

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

import handlers.start
import screens.start
import services.users
from bot.storage import SqlStorage
from models import FsmRecord, User
from services.errors import NotAllowed
from tests.tg import BOT_ID


async def get_user(session, telegram_id: int) -> User:
    session.expire_all()
    return await session.scalar(select(User).where(User.telegram_id == telegram_id))


def fsm(storage, user_id: int) -> FSMContext:
    return FSMContext(storage, StorageKey(bot_id=BOT_ID, chat_id=user_id, user_id=user_id))


async def test_language_switch_changes_every_text(env, session):
    ann = env.user(1, "Ann", language_code="en")
    await ann.send("/start")
    reply = await ann.send("/language")
    assert reply.text == "Choose your language:"
    reply = await ann.press("Русский")
    assert "Здравствуйте, <b>Ann</b>" in reply.text
    assert reply.alert == "Язык: русский"
    assert (await get_user(session, 1)).language == "ru"
    reply = await ann.send("/help")
    assert "Что я умею" in reply.text


async def test_telegram_language_is_the_default(env, session):
    reply = await env.user(2, "Иван", language_code="ru-RU").send("/start")
    assert "Здравствуйте" in reply.text
    assert (await get_user(session, 2)).language == "ru"
    reply = await env.user(3, "Hans", language_code="de").send("/start")
    assert "Hello" in reply.text


async def test_forged_language_is_refused(env, session):
    ann = env.user(1)
    await ann.send("/start")
    reply = await ann.click("lng:xx")
    assert reply.alert == "This language is not available."
    assert (await get_user(session, 1)).language == "en"


async def test_failed_handler_rolls_back_and_apologises(env, session, monkeypatch):
    ann = env.user(1)
    await ann.send("/language")

    async def broken_show(*args, **kwargs):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(handlers.start, "show", broken_show)
    reply = await ann.press("Русский")
    assert reply.alert == "Sorry, something went wrong. Please try again."
    # The language was written before the failure; the rollback undid it.
    assert (await get_user(session, 1)).language == "en"


async def test_a_database_out_of_reach_is_one_line_a_minute_not_a_traceback(
    env, session, monkeypatch, caplog
):
    """PostgreSQL cut away mid-run answered every update with the generic apology and a
    multi-page traceback each (found by an operator's walk). Now: "try again in a
    minute", in the user's language (their Telegram's when the outage came before their
    row was read), and one log line a minute with the count."""
    import logging

    from sqlalchemy.exc import DBAPIError

    import bot.middlewares.user

    class ServerGone(Exception):
        sqlstate = "08006"  # connection_failure

    caplog.set_level(logging.ERROR, "handlers.errors")
    ann, boris = env.user(1), env.user(2, language_code="ru")
    await ann.send("/start")
    await ann.send("/language")

    async def refused(*args, **kwargs):
        raise DBAPIError("UPDATE users", {}, ConnectionRefusedError(111, "Connect call failed"))

    monkeypatch.setattr(services.users.UserService, "set_language", refused)
    reply = await ann.press("Русский")
    assert reply.alert == "The shop is having technical trouble. Please try again in a minute."

    async def gone(*args, **kwargs):
        raise DBAPIError("SELECT users", {}, ServerGone("terminating connection"))

    monkeypatch.setattr(bot.middlewares.user.UserMiddleware, "_lookup", gone)
    reply = await boris.send("/start")
    assert reply.text == "В магазине технические неполадки. Попробуйте ещё раз через минуту."
    lines = [r for r in caplog.records if r.name == "handlers.errors"]
    assert len(lines) == 1 and "The database is unreachable" in lines[0].getMessage()
    assert lines[0].exc_info is None  # no traceback
    assert (await get_user(session, 1)).language == "en"


async def test_a_refused_connection_through_the_driver_counts_as_out_of_reach():
    """The real thing: asyncpg connecting where nothing listens (port 1)."""
    from sqlalchemy import text

    from db.engine import create_engine
    from db.outage import unreachable

    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/shop")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # what the driver raises is the point
        assert unreachable(exc), repr(exc)
    else:
        raise AssertionError("something listens on port 1")
    finally:
        await engine.dispose()


def test_what_counts_as_the_database_out_of_reach():
    """Not a statement's own failure (a constraint, a timeout of a slow statement), nor
    a connection error that did not come from the database's driver."""
    from sqlalchemy.exc import DBAPIError, IntegrityError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from db.outage import unreachable

    class Pg(Exception):
        def __init__(self, sqlstate):
            self.sqlstate = sqlstate

    assert unreachable(DBAPIError("s", {}, Pg("57P01")))  # admin shutdown
    assert unreachable(DBAPIError("s", {}, Pg("08001")))
    assert unreachable(PoolTimeout("QueuePool limit reached"))
    assert not unreachable(IntegrityError("s", {}, Pg("23505")))
    assert not unreachable(DBAPIError("s", {}, Pg("57014")))  # statement timeout
    try:
        raise ConnectionRefusedError(111, "not the database's")
    except ConnectionRefusedError as exc:
        assert not unreachable(exc)
    try:
        raise TimeoutError
    except TimeoutError as exc:
        assert not unreachable(exc)


async def test_a_cancelled_update_rolls_back_and_returns_its_connection(
    env, session, engine, monkeypatch
):
    """An update cancelled mid-handler (shutdown, a dropped webhook request) undoes what
    it wrote and gives its connection back to the pool."""
    ann = env.user(1)
    await ann.send("/language")
    started, never = asyncio.Event(), asyncio.Event()

    async def stuck_show(*args, **kwargs):
        started.set()
        await never.wait()

    monkeypatch.setattr(handlers.start, "show", stuck_show)
    press = asyncio.create_task(ann.press("Русский"))
    await asyncio.wait_for(started.wait(), 5)
    assert engine.pool.checkedout() == 1
    press.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await press
    for _ in range(100):
        if engine.pool.checkedout() == 0:
            break
        await asyncio.sleep(0.01)
    assert engine.pool.checkedout() == 0
    assert (await get_user(session, 1)).language == "en"


async def test_domain_error_becomes_a_translated_alert(env, session, monkeypatch):
    ru = env.user(1, language_code="ru")
    await ru.send("/language")

    async def refuse(self, user, language):
        user.language = language
        await self.session.flush()
        raise NotAllowed()

    monkeypatch.setattr(services.users.UserService, "set_language", refuse)
    reply = await ru.press("English")
    assert reply.alert == "Недостаточно прав."
    assert (await get_user(session, 1)).language == "ru"


async def test_a_refusal_keeps_the_dialog_as_left_and_a_failure_rolls_it_back(
    env, session, pool, monkeypatch
):
    """A handler that leaves the dialog, writes, then is refused (a domain error): its
    write is undone, but the dialog stays left, as with Redis. One that fails outright
    undoes both: the user is back in the dialog they were in."""
    ann = env.user(1)
    await ann.send("/language")
    raised: type[Exception] = NotAllowed

    async def leave_write_fail(self, user, language):
        await fsm(SqlStorage(pool), 1).set_state(None)  # joins the update's transaction
        user.language = language
        await self.session.flush()
        raise raised()

    monkeypatch.setattr(services.users.UserService, "set_language", leave_write_fail)
    await fsm(SqlStorage(pool), 1).set_state("SomeDialog:step")
    reply = await ann.press("Русский")
    assert reply.alert == "Not allowed."
    assert (await get_user(session, 1)).language == "en"
    assert await fsm(SqlStorage(pool), 1).get_state() is None

    await fsm(SqlStorage(pool), 1).set_state("SomeDialog:step")
    raised = RuntimeError
    reply = await ann.press("Русский")
    assert reply.alert == "Sorry, something went wrong. Please try again."
    assert (await get_user(session, 1)).language == "en"
    assert await fsm(SqlStorage(pool), 1).get_state() == "SomeDialog:step"


async def test_cancel_without_and_with_a_dialog(env, pool):
    ann = env.user(1)
    await ann.send("/start")
    assert (await ann.send("/cancel")).text == "There is nothing to cancel."
    await fsm(SqlStorage(pool), 1).set_state("SomeDialog:step")
    assert (await ann.send("/cancel")).text == "Cancelled."
    assert await fsm(SqlStorage(pool), 1).get_state() is None


async def test_cancel_button_leaves_the_dialog(env, pool):
    ann = env.user(1)
    await ann.send("/start")
    await fsm(SqlStorage(pool), 1).set_state("SomeDialog:step")
    reply = await ann.click("x")
    assert reply.text == "Cancelled."
    assert await fsm(SqlStorage(pool), 1).get_state() is None


async def test_dialog_state_survives_a_restart(make_env, settings, pool, session):
    ann = make_env(settings).user(1)
    await ann.send("/start")
    await fsm(SqlStorage(pool), 1).set_state("SomeDialog:step")
    await fsm(SqlStorage(pool), 1).update_data(product_id=7)

    restarted = make_env(settings, storage=SqlStorage(pool))
    reply = await restarted.user(1).send("some text")
    assert "not what this step expects" in reply.text
    assert await fsm(SqlStorage(pool), 1).get_data() == {"product_id": 7}
    record = await session.scalar(select(FsmRecord))
    assert record.state == "SomeDialog:step"


async def test_storage_removes_empty_records(pool, session):
    storage = SqlStorage(pool)
    await fsm(storage, 1).set_state("A:b")
    await fsm(storage, 1).clear()
    assert (await session.scalars(select(FsmRecord))).all() == []


async def test_a_menu_press_outside_any_dialog_writes_nothing(env, engine):
    """Menu buttons leave whatever dialog is open; with none open, that is no write (on
    SQLite a write takes the database's one write lock)."""
    from sqlalchemy import event

    from keyboards.callback_data import MenuAction, MenuCb

    ann = env.user(1)
    await ann.send("/start")
    statements: list[str] = []

    def spy(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", spy)
    try:
        reply = await ann.click(MenuCb(action=MenuAction.catalog))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", spy)
    assert "catalog" in reply.text
    assert statements and not {"INSERT", "UPDATE", "DELETE"} & set(statements), statements


async def test_throttling_drops_a_flood_and_says_so_once(make_env, settings):
    env = make_env(settings.model_copy(update={"throttle_rate": 0.01, "throttle_burst": 3}))
    ann = env.user(1)
    replies = [await ann.send("/help") for _ in range(6)]
    assert all("/cart" in r.text for r in replies[:3])
    assert replies[3].texts == ["Too many requests. Please wait a moment."]
    assert replies[4].calls == [] and replies[5].calls == []
    other = await env.user(2).send("/help")
    assert "/cart" in other.text


async def test_throttled_button_press_is_still_answered(make_env, settings):
    env = make_env(settings.model_copy(update={"throttle_rate": 0.01, "throttle_burst": 1}))
    ann = env.user(1)
    await ann.send("/start")
    told = await ann.press("Help")
    assert told.alert == "Too many requests. Please wait a moment."
    silent = await ann.press("Help")
    assert len(silent.calls) == 1 and silent.alert is None


async def test_forged_huge_ids_are_out_of_date_buttons(env):
    ann = env.user(1)
    await ann.send("/start")
    for data in (f"p:{10**20}:0:1:0", f"sp:{10**20}:open:1", f"ord:{2**62}:open"):
        reply = await ann.click(data)
        assert "out of date" in (reply.alert or ""), (data, reply.calls)


async def test_a_screen_that_cannot_be_edited_anymore_is_sent_anew(env):
    from aiogram.exceptions import TelegramBadRequest
    from aiogram.methods import EditMessageText, SendMessage

    ann = env.user(1)
    await ann.send("/start")
    old = ann.last_bot_message

    def too_old(method):
        if isinstance(method, EditMessageText):
            return TelegramBadRequest(method=method, message="Bad Request: message can't be edited")
        return None

    env.api.hook = too_old
    reply = await ann.press("Help")
    assert "/cart" in reply.of(SendMessage)[0].text
    assert ann.last_bot_message.message_id != old.message_id


async def test_a_refused_screen_keeps_the_old_message(env, monkeypatch):

    ann = env.user(1)
    await ann.send("/start")
    before = dict(env.api.chats[1])
    env.api.allow("can't parse entities")
    monkeypatch.setattr(screens.start, "help_text", lambda role: "<b>unclosed")
    reply = await ann.press("Help")
    assert reply.alert == "Sorry, something went wrong. Please try again."
    assert env.api.chats[1] == before
