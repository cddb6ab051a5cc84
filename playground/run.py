"""Start the playground: the local Bot API and page, then the real bot polling it.

The bot is built exactly as `python -m bot` builds it (`bot.factory`), with its HTTP
session pointed at this server through `TELEGRAM_API_URL`; only the token, the database,
the admin and the payment method (Telegram Stars, or cash on delivery with `--pay cod`)
are the playground's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot import commands, factory
from bot.config import ConfigError, Settings, load_settings
from bot.i18n import create_i18n
from bot.startup import prepare_database
from db.engine import create_session_pool, describe_url
from playground import shop
from playground.personas import ADMIN
from playground.server import Playground

log = logging.getLogger("playground")

BOT_ID = 7000000001
TOKEN = f"{BOT_ID}:playground-token-not-a-secret"
ME = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Storefront",
    "username": "storefront_playground_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
DEFAULT_DB = "playground.db"


def database_url(db_option: str) -> str:
    """`--db`: a SQLAlchemy URL as is, anything else a SQLite file path."""
    return db_option if "://" in db_option else f"sqlite+aiosqlite:///{db_option}"


def files_dir(db_option: str) -> Path | None:
    """Where uploads are kept, beside a SQLite file (`playground.db`: `playground-files/`);
    with a database URL, nowhere (they last as long as the process)."""
    if "://" in db_option:
        return None
    db = Path(db_option)
    return db.with_name(f"{db.stem}-files")


@dataclass
class Running:
    """What a started playground offers its caller (tests, the CLI)."""

    url: str
    playground: Playground
    settings: Settings


async def serve(
    port: int = 8080,
    db_option: str = DEFAULT_DB,
    *,
    host: str = "127.0.0.1",
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Running], None] | None = None,
    overrides: dict[str, object] | None = None,
    payment_method: str = "stars",
) -> None:
    """Runs until `stop` is set (or the task is cancelled, as Ctrl-C does).

    `payment_method`: "stars" (invoices with a Pay button) or "cod" (cash on delivery:
    the seller confirms and ships). `overrides` change settings for tests (a driven
    browser outpaces the flood limit).
    """
    stop = stop or asyncio.Event()
    playground = Playground(TOKEN, ME, files_dir(db_option))
    runner = web.AppRunner(playground.app(), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port}: {exc.strerror} (choose another with --port)"
            ) from None
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base_url = f"http://{host}:{port}"
        settings = load_settings(
            bot_token=TOKEN,
            database_url=database_url(db_option),
            telegram_api_url=base_url,
            admin_ids=frozenset({ADMIN.user_id}),
            redis_url=None,
            payment_method=payment_method,
            payment_provider_token=None,
            **(overrides or {}),
        )
        await _run_bot(settings, playground, base_url, stop, on_ready)
    finally:
        await runner.cleanup()


async def _run_bot(
    settings: Settings,
    playground: Playground,
    base_url: str,
    stop: asyncio.Event,
    on_ready: Callable[[Running], None] | None,
) -> None:
    engine = await prepare_database(settings)
    try:
        pool = create_session_pool(engine)
        async with pool() as session, session.begin():
            await shop.prepare(session, base_url)
        i18n = create_i18n(settings.default_locale)
        bot = factory.create_bot(settings)
        dp = factory.create_dispatcher(settings, pool, factory.create_storage(settings, pool), i18n)
        try:
            await commands.set_commands(bot, i18n, pool)
            await dp["broadcaster"].resume(bot)
            factory.start_jobs(dp, bot)
            polling = asyncio.create_task(
                dp.start_polling(bot, handle_signals=False, close_bot_session=False)
            )
            log.info(
                "Database: %s; Bot API: the playground's own at %s",
                describe_url(settings.database_url),
                base_url,
            )
            print(f"Playground: open {base_url} in a browser (Ctrl-C stops it)", flush=True)
            if on_ready is not None:
                on_ready(Running(base_url, playground, settings))
            stopper = asyncio.create_task(stop.wait())
            try:
                with _stop_on_sigterm(stop):
                    await asyncio.wait([polling, stopper], return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
                if not polling.done():
                    try:
                        await dp.stop_polling()
                    except RuntimeError:  # polling never got going
                        polling.cancel()
                await asyncio.gather(polling, return_exceptions=True)
        finally:
            await dp["broadcaster"].stop()
            await factory.stop_jobs(dp)
            await bot.session.close()
    finally:
        await engine.dispose()


@contextlib.contextmanager
def _stop_on_sigterm(stop: asyncio.Event):
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        added = True
    except (NotImplementedError, RuntimeError, ValueError):
        added = False  # not the main thread, or no signals here
    try:
        yield
    finally:
        if added:
            loop.remove_signal_handler(signal.SIGTERM)
