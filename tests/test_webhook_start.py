"""What `python -m bot webhook` does before its first update: one process tells Telegram
(the command menu, setWebhook) and the log what the shop uses; a Bot API that refuses
or can't be reached, or a port another instance holds, is one line and exit 2."""

import asyncio
import contextlib
import logging
import socket

import pytest

from benchmarks.stub_api import StubBotAPI
from bot import supervisor
from bot.__main__ import main
from bot.config import ConfigError, load_settings
from bot.supervisor import REUSE_PORT, bind
from tests.tg import TOKEN

# Its own SQLite file: the PostgreSQL run would only repeat it.
pytestmark = pytest.mark.own_sqlite


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(monkeypatch, tmp_path, **env) -> None:
    monkeypatch.chdir(tmp_path)
    base = {
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.db",
        "WEBHOOK_URL": "https://shop.example.com",
        "WEBHOOK_SECRET": "s3cret",
        "WEBHOOK_PORT": str(_free_port()),
    }
    for name, value in {**base, **env}.items():
        monkeypatch.setenv(name, value)


def _two_workers_env(monkeypatch, tmp_path, port: int) -> None:
    """WORKERS=2 on `port`; the database and Redis are never reached (_prepare is faked)."""
    _env(
        monkeypatch,
        tmp_path,
        WEBHOOK_PORT=str(port),
        WORKERS="2",
        DATABASE_URL="postgresql+asyncpg://u@127.0.0.1:1/none",
        REDIS_URL="redis://127.0.0.1:1/9",
    )


async def test_one_worker_sets_the_command_menu_and_logs_what_it_uses(tmp_path, caplog):
    from bot.webhook import serve

    stub = StubBotAPI()
    url = await stub.start()
    port = _free_port()
    settings = load_settings(
        bot_token=TOKEN,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db",
        telegram_api_url=url,
        webhook_url="https://shop.example.com",
        webhook_secret="s3cret",
        webhook_port=port,
    )
    caplog.set_level(logging.INFO)
    task = asyncio.create_task(serve(settings, bind("127.0.0.1", port), set_webhook=True))
    try:
        for _ in range(400):
            if any("Worker ready" in r.getMessage() for r in caplog.records) or task.done():
                break
            await asyncio.sleep(0.05)
        assert stub.calls["setWebhook"] == 1
        assert stub.calls["setMyCommands"] == 3  # English, Russian, and the default
        [line] = [r.getMessage() for r in caplog.records if "FSM storage" in r.getMessage()]
        assert line.startswith("Database: sqlite") and f"Bot API: {url}" in line
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await stub.stop()


def test_one_worker_and_no_bot_api_is_one_line(monkeypatch, tmp_path, capsys):
    _env(monkeypatch, tmp_path, TELEGRAM_API_URL="http://127.0.0.1:9")  # nothing listens
    assert main(["webhook"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: Cannot reach the Bot API")


@pytest.mark.skipif(not REUSE_PORT, reason="SO_REUSEPORT spreads connections on Linux only")
def test_a_second_instance_on_the_port_of_running_workers_is_refused(monkeypatch, tmp_path, capsys):
    """Workers bind with SO_REUSEPORT, which would let another such socket join them:
    another `WORKERS=2` instance (an old deployment left running) would share the
    updates. It is refused before it tells Telegram anything."""
    running_worker = bind("127.0.0.1", 0, reuse_port=True)
    port = running_worker.getsockname()[1]
    _two_workers_env(monkeypatch, tmp_path, port)
    prepared, forked = [], []

    async def prepare(_settings) -> None:  # migrations, Redis, setWebhook
        prepared.append(1)

    monkeypatch.setattr(supervisor, "_prepare", prepare)
    monkeypatch.setattr(supervisor.Supervisor, "run", lambda self: forked.append(1) or 0)
    try:
        code = main(["webhook"])
    finally:
        running_worker.close()
    assert (code, prepared, forked) == (2, [], [])
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: Cannot listen on 127.0.0.1:{port}: ")


@pytest.mark.skipif(not REUSE_PORT, reason="SO_REUSEPORT spreads connections on Linux only")
def test_the_port_is_held_while_the_supervisor_prepares(monkeypatch, tmp_path, capsys):
    """Migrations may take minutes: another instance started meanwhile finds the port
    taken (its workers would otherwise join this one's), and so does a single worker."""
    port = _free_port()
    _two_workers_env(monkeypatch, tmp_path, port)
    refused = []

    async def prepare(_settings) -> None:
        for reuse_port in (True, False):
            try:
                bind("127.0.0.1", port, reuse_port=reuse_port).close()
            except ConfigError as exc:
                refused.append(str(exc))

    monkeypatch.setattr(supervisor, "_prepare", prepare)
    monkeypatch.setattr(supervisor.Supervisor, "run", lambda self: 0)
    assert main(["webhook"]) == 0
    assert len(refused) == 2 and all("Cannot listen on" in r for r in refused)
    bind("127.0.0.1", port, reuse_port=True).close()  # free again for the workers


async def test_a_command_menu_telegram_wont_take_now_is_logged_not_fatal(caplog):
    """A restart loop meets flood control on setMyCommands: the shop starts without the
    menu, saying so, rather than dying at every restart."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from benchmarks.stub_api import refuse
    from bot.commands import set_commands
    from bot.i18n import create_i18n

    async def flood(method: str, _params) -> None:
        if method == "setMyCommands":
            raise refuse(429, "Too Many Requests: retry after 30", retry_after=30)

    stub = StubBotAPI()
    stub.hook = flood
    url = await stub.start()
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    try:
        with caplog.at_level(logging.WARNING):
            await set_commands(bot, create_i18n("en"))
    finally:
        await bot.session.close()
        await stub.stop()
    assert any("command menu was not set" in r.getMessage() for r in caplog.records)


async def test_at_start_each_seller_and_admin_gets_their_menu(env, session, monkeypatch):
    """An admin of ADMIN_IDS, made admin at start, and a seller who wrote nothing since
    had a customer's menu until they pressed /start (found by a Russian walk)."""
    from aiogram.methods import SetMyCommands

    from bot.commands import set_commands
    from models import Role
    from tests.factories import make_user

    await make_user(session, 10, Role.seller, language="ru")
    await make_user(session, 11, Role.admin)
    await make_user(session, 12)  # a customer: the language's menu
    await make_user(session, 13, Role.seller, is_banned=True)
    await session.commit()
    before = len(env.api.requests)
    await set_commands(env.bot, env.dp["i18n"], env.dp["session_pool"])
    calls = [c for c in env.api.requests[before:] if isinstance(c, SetMyCommands)]
    own = {
        c.scope.chat_id: {b.command: b.description for b in c.commands} for c in calls if c.scope
    }
    assert set(own) == {10, 11}
    assert own[10]["seller"] == "Ваши товары: добавить и изменить" and "admin" not in own[10]
    assert "admin" in own[11]
    # Bounded: one call each before the bot serves; admins first, the rest at /start.
    import bot.commands

    monkeypatch.setattr(bot.commands, "STAFF_MENUS_AT_START", 1)
    before = len(env.api.requests)
    await set_commands(env.bot, env.dp["i18n"], env.dp["session_pool"])
    calls = [c for c in env.api.requests[before:] if isinstance(c, SetMyCommands) and c.scope]
    assert [c.scope.chat_id for c in calls] == [11]
