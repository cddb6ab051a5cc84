"""Apply Alembic migrations from inside the running application.

The configuration is built here rather than read from `alembic.ini`, so a wheel install
(which has no `alembic.ini`) migrates the same way a checkout does.
"""

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


def alembic_config(url: str | None = None, script_location: Path | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location or MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["configure_logger"] = False
    if url:
        cfg.attributes["url"] = url
    return cfg


async def upgrade(
    engine: AsyncEngine, revision: str = "head", script_location: Path | None = None
) -> None:
    await _run(engine, lambda cfg: command.upgrade(cfg, revision), script_location)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda cfg: command.downgrade(cfg, revision))


async def pending(engine: AsyncEngine) -> tuple[str | None, str]:
    """(the database's revision, None if never migrated; the code's head revision)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    async with engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    return current, head


def known(revision: str) -> bool:
    """Whether this code has the revision (a database at one it lacks was migrated by a
    newer version of the bot)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic's "Can't locate revision"
        return False


async def has_data(engine: AsyncEngine) -> bool:
    """Whether any table but Alembic's own holds a row."""

    def check(sync) -> bool:
        tables = [t for t in inspect(sync).get_table_names() if t != "alembic_version"]
        quote = sync.dialect.identifier_preparer.quote
        return any(sync.execute(text(f"SELECT 1 FROM {quote(t)} LIMIT 1")).first() for t in tables)

    async with engine.connect() as connection:
        return await connection.run_sync(check)


async def _run(
    engine: AsyncEngine, action: Callable[[Config], None], script_location: Path | None = None
) -> None:
    def run(sync_connection) -> None:
        cfg = alembic_config(script_location=script_location)
        cfg.attributes["connection"] = sync_connection
        action(cfg)

    # Not in a transaction: migrations/env.py opens it (on SQLite after turning foreign
    # keys off, which SQLite ignores inside a transaction).
    async with engine.connect() as connection:
        await connection.run_sync(run)
