"""What every way of starting the shop does first (`python -m bot`, its commands, the
playground): reach the database, migrate it, make the ADMIN_IDS admins."""

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import backup, migrate
from bot.admin_cli import apply_admin_ids
from bot.config import ConfigError, Settings
from db.engine import create_engine, create_session_pool, describe_url

log = logging.getLogger("bot")


async def prepare_database(settings: Settings) -> AsyncEngine:
    """The engine, once the database answers, is migrated (a SQLite database that holds
    data is copied first) and the users in ADMIN_IDS are admins."""
    engine = create_engine(settings.database_url)
    url = describe_url(settings.database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        await engine.dispose()
        raise ConfigError(f"Cannot reach the database {url}: {_first_line(exc)}") from None
    try:
        current, head = await migrate.pending(engine)
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


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


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
