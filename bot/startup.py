"""What every way of starting the shop does first (`python -m bot`, its commands, the
playground): reach the database, migrate it, make the ADMIN_IDS admins."""

import asyncio
import contextlib
import logging
import re
from collections.abc import Coroutine, Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import backup, migrate
from bot.admin_cli import apply_admin_ids
from bot.config import ConfigError, Settings
from db.engine import create_engine, create_session_pool, describe_url

log = logging.getLogger("bot")
# A bot token in a Bot API URL, as an error message may quote it.
_TOKEN_IN_TEXT = re.compile(r"bot\d+:[\w-]+")


def run_service(main: Coroutine[Any, Any, Any]) -> None:
    """Runs a long-lived service (polling, webhook workers, the web API, the playground)
    on uvloop where it is installed (a dependency on Linux and macOS): the same code on a
    faster event loop, about 10% less CPU an update in benchmarks/webhook.py. Elsewhere on
    asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


@contextlib.contextmanager
def bot_api_refusals() -> Iterator[None]:
    """Telegram refusing BOT_TOKEN, no Bot API to reach, or something else answering at
    TELEGRAM_API_URL, while starting: one line and exit 2 (ConfigError), not a traceback,
    and never the token (aiohttp's errors may quote the URL it is in)."""
    from aiogram.exceptions import (
        ClientDecodeError,
        TelegramAPIError,
        TelegramNetworkError,
        TelegramNotFound,
        TelegramUnauthorizedError,
    )

    try:
        yield
    except TelegramUnauthorizedError:
        raise ConfigError("Telegram rejected BOT_TOKEN: check it with @BotFather") from None
    except TelegramNetworkError as exc:
        raise ConfigError(f"Cannot reach the Bot API: {_no_token(exc.message)}") from None
    except (TelegramNotFound, ClientDecodeError):
        raise ConfigError(
            "The Bot API's address answers, but not as a Bot API: check TELEGRAM_API_URL "
            "(the server's base, without /bot...)"
        ) from None
    except TelegramAPIError as exc:
        raise ConfigError(
            f"The Bot API refused to start the bot: {_no_token(exc.message)}"
        ) from None


def _no_token(text: str) -> str:
    return _TOKEN_IN_TEXT.sub("bot<BOT_TOKEN>", text)


def log_what_it_uses(settings: Settings) -> None:
    log.info(
        "Database: %s; FSM storage: %s; Bot API: %s",
        describe_url(settings.database_url),
        describe_url(settings.redis_url) if settings.redis_url else "the database",
        settings.telegram_api_url or "https://api.telegram.org",
    )


def pool_options(settings: Settings) -> dict[str, int]:
    """The connection pool's size (PostgreSQL; SQLite keeps SQLAlchemy's defaults)."""
    if settings.database_url.startswith("sqlite"):
        return {}
    return {"pool_size": settings.pool_size, "max_overflow": settings.db_max_overflow}


async def prepare_database(settings: Settings) -> AsyncEngine:
    """The engine, once the database answers, is migrated (a SQLite database that holds
    data is copied first) and the users in ADMIN_IDS are admins."""
    engine = create_engine(settings.database_url, **pool_options(settings))
    url = describe_url(settings.database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        await engine.dispose()
        raise ConfigError(f"Cannot reach the database {url}: {_first_line(exc)}") from None
    try:
        current, head = await migrate.pending(engine)
        if current is not None and not migrate.known(current):  # before any backup copy
            raise ConfigError(
                f"The database {url} is at revision {current}, which this version of the bot "
                "doesn't have: a newer version migrated it. Run that version, or restore the "
                "backup taken before it migrated (see README, Backups)"
            )
        if current != head:
            saved = None
            if backup.sqlite_file(settings.database_url) and await migrate.has_data(engine):
                saved = backup.backup_before_migrating(settings.database_url, head)
            await migrate.upgrade(engine)
            log.info(
                "Database migrated from %s to %s%s",
                current or "empty",
                head,
                f"; the data before it is in {saved}" if saved else "",
            )
    except ConfigError:
        await engine.dispose()
        raise
    except Exception as exc:
        await engine.dispose()
        raise ConfigError(
            f"Migrating the database {url} failed, nothing was changed: {_first_line(exc)}"
        ) from None
    # Every start: an owner who wrote to the bot before listing their id is admin now.
    if promoted := await apply_admin_ids(create_session_pool(engine), settings.admin_ids):
        log.info("ADMIN_IDS: made admin: %s", ", ".join(promoted))
    return engine


async def check_connection_budget(engine: AsyncEngine, settings: Settings) -> None:
    """WORKERS pools at their fullest against PostgreSQL's max_connections: a line at
    start rather than "too many clients" errors at the busiest moment."""
    if engine.dialect.name != "postgresql":
        return
    try:
        async with engine.connect() as connection:
            limit = int((await connection.execute(text("SHOW max_connections"))).scalar_one())
    except Exception as exc:  # e.g. behind a pooler: only a check, never a reason to stop
        log.info("Could not read the server's max_connections: %s", _first_line(exc))
        return
    wanted = settings.workers * (settings.pool_size + settings.db_max_overflow)
    if wanted > limit - 5:  # a few for the supervisor, migrations and psql
        log.warning(
            "%s workers may open %s database connections at a busy moment, but the server "
            "allows %s (max_connections): lower DB_POOL_SIZE / DB_MAX_OVERFLOW or raise it",
            settings.workers,
            wanted,
            limit,
        )


def _first_line(exc: Exception) -> str:
    line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "readonly database" in line:  # SQLite's words for a file or folder it can't write
        line += " (this user can't write the database file, or the folder it is in)"
    return line


async def check_redis(settings: Settings) -> None:
    """With REDIS_URL: Redis answers, or `ConfigError` (one line; the bot exits 2) rather
    than a bot that starts and then fails every update."""
    if not settings.redis_url:
        return
    from redis.asyncio import Redis

    client = Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        await client.ping()
    except Exception as exc:
        url = describe_url(settings.redis_url)
        raise ConfigError(f"Cannot reach Redis at {url}: {_first_line(exc)}") from None
    finally:
        await client.aclose()
