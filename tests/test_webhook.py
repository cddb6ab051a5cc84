# ruff: noqa: F811  (fixtures imported from another module)
"""Webhook mode in process: the secret, bad bodies, /healthz, /metrics, start-up checks,
a Redis outage while running, throttling shared through Redis."""

import asyncio
import gc
import logging
import sys
import weakref
from email.parser import BytesParser
from email.policy import HTTP

import pytest
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods import Response
from aiogram.types import User
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import text

from benchmarks.stub_api import StubBotAPI
from bot.__main__ import main
from bot.factory import create_bot, create_dispatcher
from bot.metrics import Metrics
from bot.startup import check_connection_budget, pool_options, run_service
from bot.storage import SqlStorage
from bot.webhook import build_app
from db.engine import create_engine
from tests.conftest import PG_URL
from tests.redis_env import redis_prefix, workers  # noqa: F401 (fixtures)
from tests.tg import TOKEN, FakeBotAPI

SECRET = "s3cret-Token_1"
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def hook_settings(settings):
    return settings.model_copy(
        update={
            "webhook_url": "https://shop.example.com",
            "webhook_secret": SecretStr(SECRET),
            "webhook_path": "/tg",
        }
    )


@pytest.fixture
async def client(hook_settings, pool, engine):
    api = FakeBotAPI()
    metrics = Metrics()
    bot = create_bot(hook_settings, session=api)
    bot.session.middleware(metrics.api_middleware)
    dp = create_dispatcher(  # as `bot.webhook.serve` builds it
        hook_settings,
        pool,
        SqlStorage(pool),
        exactly_once=True,
        metrics=metrics,
        answer_in_reply=True,
    )
    app, handler = build_app(dp, bot, hook_settings, engine, metrics)
    async with TestClient(TestServer(app)) as client:
        client.api = api
        client.handler = handler
        yield client


def start(update_id: int, user_id: int = 7, text: str = "/start") -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann", "language_code": "en"},
            "text": text,
        },
    }


def secret(value: str = SECRET) -> dict:
    return {"X-Telegram-Bot-Api-Secret-Token": value}


async def test_updates_need_the_secret_and_refusals_are_logged_once_a_minute(client, caplog):
    caplog.set_level(logging.WARNING, "bot.webhook")
    for headers in ({}, secret("wrong"), secret("sécret"), secret(SECRET + "x")):
        response = await client.post("/tg", json=start(1), headers=headers)
        assert response.status == 401
    assert client.api.requests == []  # nothing was handled
    refusals = [r for r in caplog.records if "refused (401)" in r.getMessage()]
    assert len(refusals) == 1
    response = await client.post("/tg", json=start(1), headers=secret())
    assert response.status == 200
    welcome = [r for r in client.api.requests if type(r).__name__ == "SendMessage"]
    if welcome:  # sent through the Bot API, or else in the webhook's own reply
        assert "Welcome" in welcome[0].text
    else:
        assert "Welcome" in (await form_fields(response))["text"]


async def test_a_body_that_is_not_an_update_is_a_400_not_a_500(client):
    bodies = (
        b"junk",
        b"[1, 2]",
        b'{"no": "update_id"}',
        b"\xff\xfe",
        b'{"update_id": 1, "message": 5}',
        b"[" * 100_000,  # nested past the parser's recursion limit
    )
    for body in bodies:
        response = await client.post("/tg", data=body, headers=secret())
        assert response.status == 400
    assert client.api.requests == []


async def test_an_update_that_holds_nothing_known_is_answered_quietly(client, caplog):
    """{"update_id": 1003} alone (or a kind newer than this aiogram) was handled into an
    UpdateTypeLookupError traceback from the metrics: it is answered 200, nothing done."""
    caplog.set_level(logging.WARNING)
    response = await client.post("/tg", json={"update_id": 1003}, headers=secret())
    assert response.status == 200 and client.api.requests == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_the_same_update_posted_twice_is_answered_once(client):
    for _ in range(2):
        response = await client.post("/tg", json=start(5), headers=secret())
        assert response.status == 200
    sent = [r for r in client.api.requests if type(r).__name__ == "SendMessage"]
    assert len(sent) == 1


async def form_fields(response) -> dict[str, str]:
    """The fields of a multipart/form-data reply."""
    head = f"Content-Type: {response.headers['Content-Type']}\r\n\r\n".encode()
    form = BytesParser(policy=HTTP).parsebytes(head + await response.read())
    return {
        p.get_param("name", header="content-disposition"): p.get_content()
        for p in form.iter_parts()
    }


def press(update_id: int, message, data: str, user_id: int = 7) -> dict:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq{update_id}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann", "language_code": "en"},
            "chat_instance": f"ci{user_id}",
            "data": data,
            "message": message.model_dump(mode="json", exclude_none=True),
        },
    }


async def test_a_button_is_answered_in_the_webhook_reply_not_by_a_call_of_its_own(client):
    await client.post("/tg", json=start(20), headers=secret())
    menu = client.api.last_message(7)
    catalog = next(b.callback_data for row in menu.reply_markup.inline_keyboard for b in row)
    client.api.rules.callbacks["cq21"] = 7  # the fake Telegram lets the bot answer it
    response = await client.post("/tg", json=press(21, menu, catalog), headers=secret())
    assert response.status == 200
    # Telegram runs the method named in the reply: the button stops spinning.
    assert await form_fields(response) == {
        "method": "answerCallbackQuery",
        "callback_query_id": "cq21",
    }
    calls = [type(r).__name__ for r in client.api.requests]
    assert "AnswerCallbackQuery" not in calls  # not answered twice
    assert calls[-1] == "EditMessageText"  # the screen changed, before the reply went out
    metrics = await (await client.get("/metrics")).text()
    assert 'bot_api_calls_total{method="answerCallbackQuery"} 1.0' in metrics


async def test_healthz_and_metrics(client):
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"database": "ok", "redis": "not configured"}
    await client.post("/tg", json=start(9), headers=secret())
    response = await client.get("/metrics")
    text = await response.text()
    assert 'bot_updates_total{kind="message"} 1.0' in text
    assert "bot_update_seconds_count 1.0" in text
    assert 'bot_api_calls_total{method="sendMessage"}' in text


async def test_healthz_is_503_when_redis_is_down(hook_settings, pool, engine):
    bot = create_bot(hook_settings, session=FakeBotAPI())
    storage = RedisStorage.from_url(DEAD_REDIS)
    dp = create_dispatcher(hook_settings, pool, storage, exactly_once=True)
    app, _ = build_app(dp, bot, hook_settings, engine, Metrics())
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        report = await response.json()
        assert report["database"] == "ok" and report["redis"].startswith("unreachable")
    await storage.close()


async def test_redis_going_down_while_running_is_one_log_line(make_env, settings, caplog):
    storage = RedisStorage.from_url(DEAD_REDIS)
    env = make_env(settings.model_copy(update={"redis_url": DEAD_REDIS}), storage=storage)
    caplog.set_level(logging.INFO)
    for _ in range(3):
        reply = await env.user(1).send("/start")
        assert reply.text == "The shop is having technical trouble. Please try again in a minute."
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "Redis at" in errors[0].getMessage() and "unreachable" in errors[0].getMessage()
    await storage.close()


async def test_throttling_counts_in_redis_across_workers(workers, settings):
    settings = settings.model_copy(update={"throttle_rate": 0.001, "throttle_burst": 2})
    one, two = workers(settings), workers(settings)
    assert "Welcome" in (await one.user(1).send("/start")).text
    assert "Welcome" in (await two.user(1).send("/start")).text
    reply = await one.user(1).send("/start")  # the third within the burst, on either worker
    assert reply.text == "Too many requests. Please wait a moment."
    assert (await two.user(1).send("/start")).calls == []  # told once
    assert "Welcome" in (await two.user(2).send("/start")).text  # others are not affected


def _run(monkeypatch, tmp_path, capsys, argv, **env) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    defaults = {"BOT_TOKEN": TOKEN, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.db"}
    for name, value in {**defaults, **env}.items():
        monkeypatch.setenv(name, value)
    code = main(argv)
    return code, capsys.readouterr().err


def test_a_configured_redis_that_is_down_stops_the_start(monkeypatch, tmp_path, capsys):
    code, err = _run(monkeypatch, tmp_path, capsys, ["run"], REDIS_URL=DEAD_REDIS)
    assert code == 2
    [line] = err.strip().splitlines()  # the end is the event loop's wording
    assert line.startswith(
        "error: Cannot reach Redis at redis://127.0.0.1:1/0: Error 111 connecting to 127.0.0.1:1."
    )


def test_workers_left_in_the_settings_stop_only_webhook_mode(monkeypatch, tmp_path, capsys):
    """WORKERS=2 in .env on SQLite: `migrate` (or a backup, or polling) still works."""
    code, err = _run(monkeypatch, tmp_path, capsys, ["migrate"], WORKERS="2")
    assert code == 0 and "error" not in err
    assert (tmp_path / "s.db").exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"WORKERS": "2"},
            "WORKERS=2 (webhook mode, `python -m bot webhook`) needs PostgreSQL: "
            "a SQLite file serves one process",
        ),
        (
            {"WORKERS": "2", "DATABASE_URL": "postgresql+asyncpg://u@localhost/shop"},
            "WORKERS=2 needs REDIS_URL: workers share dialog state, locks and throttling there",
        ),
        ({}, "WEBHOOK_URL is not set: the public https:// base Telegram posts updates to"),
        ({"WEBHOOK_URL": "https://x.example"}, "WEBHOOK_SECRET is not set"),
        ({"WEBHOOK_URL": "https://"}, "WEBHOOK_URL names no host"),
        (
            {"WEBHOOK_URL": "https://x.example/telegram/webhook/"},
            "WEBHOOK_URL is the public base, without WEBHOOK_PATH (/telegram/webhook)",
        ),
        (
            {"WEBHOOK_URL": "https://x.example/telegram/webhook?x=1"},
            "WEBHOOK_URL is the public base, without ?query or #fragment",
        ),
        (
            {"WEBHOOK_URL": "https://x.example", "WEBHOOK_SECRET": "has space"},
            "WEBHOOK_SECRET: 1-256 characters A-Z, a-z, 0-9, _ and - only",
        ),
    ],
)
def test_webhook_settings_are_checked_first(monkeypatch, tmp_path, capsys, env, message):
    code, err = _run(monkeypatch, tmp_path, capsys, ["webhook"], **env)
    assert code == 2
    assert err.startswith(f"error: {message}") and len(err.strip().splitlines()) == 1


def test_a_port_in_use_is_one_line_before_telegram_is_told(monkeypatch, tmp_path, capsys):
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        code, err = _run(
            monkeypatch,
            tmp_path,
            capsys,
            ["webhook"],
            WEBHOOK_URL="https://shop.example.com",
            WEBHOOK_SECRET="s3cret",
            WEBHOOK_PORT=str(port),
            # Nothing listens there: had the bot called setWebhook first, it would say so.
            TELEGRAM_API_URL="http://127.0.0.1:9",
        )
    finally:
        taken.close()
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith(f"error: Cannot listen on 127.0.0.1:{port}: ")


def _loop_of_a_service() -> str:
    seen = []

    async def main() -> None:
        seen.append(type(asyncio.get_running_loop()).__module__.split(".")[0])

    run_service(main())
    return seen[0]


def test_services_run_on_uvloop_and_on_asyncio_where_it_is_missing(monkeypatch):
    """Polling, webhook workers, the API and the playground start through run_service."""
    assert _loop_of_a_service() == "uvloop"
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as on Windows: not installed
    assert _loop_of_a_service() == "asyncio"


async def test_the_bot_api_session_keeps_each_answer_type_between_calls(settings):
    """aiogram reads every answer through `Response[T]`, a class pydantic holds only
    weakly: without ShopSession it was collected after each call and rebuilt by the next
    one (schema and validator: a tenth of a webhook worker's CPU)."""
    stub = StubBotAPI()
    bot = create_bot(settings.model_copy(update={"telegram_api_url": await stub.start()}))
    try:
        assert (await bot.get_me()).username == "shop_bot"
        used = weakref.ref(Response[User])  # the class that call read its answer with
        gc.collect()
        assert used() is not None
    finally:
        await bot.session.close()
        await stub.stop()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite keeps SQLAlchemy's pool")
async def test_pools_fit_the_updates_in_flight_and_the_server_budget_is_checked(settings, caplog):
    engine = create_engine(settings.database_url, **pool_options(settings))
    try:
        # Telegram posts at most WEBHOOK_MAX_CONNECTIONS (40) updates at once, to one
        # worker here: all of them find a connection, with 5 for the background jobs.
        assert engine.pool.size() == 45 and engine.pool._max_overflow == 10
        two = settings.model_copy(update={"workers": 2})
        assert pool_options(two) == {"pool_size": 25, "max_overflow": 10}
        async with engine.connect() as connection:
            limit = int((await connection.execute(text("SHOW max_connections"))).scalar_one())
        fits = (limit - 5) // 30  # workers whose pools of 20 + 10 fit the server
        caplog.set_level(logging.WARNING, "bot")
        sized = settings.model_copy(update={"db_pool_size": 20, "workers": fits})
        await check_connection_budget(engine, sized)
        assert caplog.records == []
        await check_connection_budget(engine, sized.model_copy(update={"workers": fits + 1}))
        [warning] = caplog.records
        assert f"{fits + 1} workers may open {30 * (fits + 1)} database connections" in (
            warning.getMessage()
        )
        assert f"allows {limit}" in warning.getMessage() and "DB_POOL_SIZE" in warning.getMessage()
    finally:
        await engine.dispose()


async def test_a_stop_cancels_an_update_stuck_on_the_bot_api(client, session):
    """A Bot API call that hangs held a stopping worker 54 s past SIGTERM (the supervisor
    killed a second worker and exited 1), then answered Telegram 200 for nothing done.
    Past the drain's time the update is cancelled: rolled back, and left unanswered, so
    Telegram delivers it again."""
    import time

    import aiohttp
    from sqlalchemy import func, select

    from models import ProcessedUpdate

    stuck = asyncio.Event()
    real = client.api.make_request

    async def hanging(bot, method, timeout=None):
        if type(method).__name__ in ("SetMyCommands", "DeleteMyCommands"):  # /start's last
            stuck.set()
            await asyncio.sleep(3600)
        return await real(bot, method, timeout)

    client.api.make_request = hanging
    post = asyncio.create_task(client.post("/tg", json=start(31), headers=secret()))
    await asyncio.wait_for(stuck.wait(), 5)
    began = time.monotonic()
    assert await client.handler.drain(timeout=0.1) is False
    assert time.monotonic() - began < 3 and client.handler.in_flight == 0
    try:
        answered = (await post).status
    except aiohttp.ClientError:
        answered = None  # the connection closed with no answer
    assert answered != 200
    assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0
