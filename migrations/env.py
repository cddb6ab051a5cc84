"""Alembic environment, async. The URL comes from Settings, or from the caller.

`bot.migrate.upgrade()` hands over an open connection (config.attributes["connection"]),
so migrations run inside the application's event loop; the `alembic` command line
opens its own engine from DATABASE_URL.

SQLite: a batch migration rebuilds a table (copy, DROP, rename). With foreign keys on,
that DROP deletes every row that points at the table through ON DELETE CASCADE (all
reviews of all products), or fails halfway. So foreign keys are off while migrations
run, all revisions run in one transaction (SQLite's DDL is transactional once BEGIN is
sent; alembic assumes it isn't), and `PRAGMA foreign_key_check` must come back empty
before that transaction commits.
"""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from bot.config import load_settings
from db.engine import create_engine
from models import Base
from models.search_index import include_name, quiet_reflection

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


class ForeignKeyViolation(RuntimeError):
    """A migration left rows pointing at rows that don't exist; nothing was changed."""


# PostgreSQL: one process migrates at a time (several starting at once, as webhook
# machines may). The others wait, then find the database at head and do nothing.
MIGRATION_LOCK = 727_274_001


def do_run_migrations(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if not sqlite:
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        connection.commit()  # the lock is the session's: it outlasts this transaction
        try:
            _migrate(connection, sqlite)
        finally:
            connection.rollback()  # nothing left open (a failed migration rolled back)
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
            connection.commit()
        return
    _migrate(connection, sqlite)


def _migrate(connection: Connection, sqlite: bool) -> None:
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        # SQLite ignores the PRAGMA inside a transaction: refuse rather than cascade.
        if connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
            raise RuntimeError("SQLite migrations need a connection outside a transaction")
        connection.commit()  # SQLAlchemy's autobegin; SQLite itself had nothing open
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite can't ALTER most things: batch mode copies the table instead.
            render_as_batch=sqlite,
            compare_type=True,
            transactional_ddl=True,
            include_name=include_name,
        )
        with context.begin_transaction(), quiet_reflection():
            if sqlite:
                connection.exec_driver_sql("BEGIN")
            context.run_migrations()
            if sqlite:
                _check_foreign_keys(connection)
    finally:
        if sqlite:
            connection.rollback()  # nothing left open: PRAGMA needs that
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise ForeignKeyViolation(
            f"migration rolled back: {len(broken)} row(s) would point at missing rows "
            f"(first: {table} rowid {rowid} -> {parent})"
        )


async def run_async_migrations() -> None:
    url = config.attributes.get("url") or load_settings().database_url
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.attributes.get("url") or load_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
elif (connection := config.attributes.get("connection")) is not None:
    do_run_migrations(connection)
else:
    asyncio.run(run_async_migrations())
