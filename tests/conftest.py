"""Fixtures: a fresh database per test (SQLite, or PostgreSQL with TEST_DATABASE_URL),
a dispatcher on a fake Bot API, and users to drive it.

The suite is hermetic: the bot's settings come from each test, never from the shell's
variables (BOT_TOKEN, PAGE_SIZE, PAYMENT_METHOD...) or a `.env` file in the working
directory. Its own knobs are TEST_DATABASE_URL and TEST_REDIS_URL.
"""

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.factory import create_bot, create_dispatcher
from bot.storage import SqlStorage
from db.engine import create_engine, create_session_pool
from locales.compile import compile_catalogs, stale
from models import Base
from tests.tg import TOKEN, BotEnv, FakeBotAPI

PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
ADMIN_ID = 1000

# What the bot would read from the shell or a .env file: gone for the whole session
# (tests of reading them put them back with monkeypatch).
for _name in [n for n in os.environ if n.lower() in Settings.model_fields]:  # any case
    del os.environ[_name]
APP_ENV_FILE = Settings.model_config["env_file"]
Settings.model_config["env_file"] = None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "own_sqlite: never touches TEST_DATABASE_URL (its own SQLite file, or none)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The PostgreSQL run skips the modules marked `own_sqlite`: it would repeat them unchanged."""
    if not PG_URL:
        return
    same = pytest.mark.skip(reason="never touches TEST_DATABASE_URL: the SQLite run covers it")
    for item in items:
        if item.get_closest_marker("own_sqlite"):
            item.add_marker(same)


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    """The catalogs as the .po files say now, even if edited since the install."""
    if stale():
        compile_catalogs()


@pytest.fixture(scope="session")
def _pg_schema() -> None:
    """On PostgreSQL the schema is built once; each test then empties the tables."""
    if not PG_URL:
        return

    async def build() -> None:
        engine = create_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            await conn.run_sync(Base.metadata.create_all)
        await engine.dispose()

    asyncio.run(build())


@pytest.fixture(scope="session")
def _sqlite_schema(tmp_path_factory) -> Path | None:
    """On SQLite the schema is built once, in a file each test's database is a copy of
    (building it takes 0.15 s, a copy a millisecond)."""
    if PG_URL:
        return None
    path = tmp_path_factory.mktemp("schema") / "schema.db"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await engine.dispose()  # the last connection closed: the WAL is folded in

    asyncio.run(build())
    return path


@pytest.fixture
def database_url(tmp_path, _pg_schema) -> str:
    return PG_URL or f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def engine(database_url: str, _sqlite_schema: Path | None) -> AsyncIterator[AsyncEngine]:
    """The schema, empty: on PostgreSQL the tables emptied, on SQLite a copy of it."""
    file = Path(make_url(database_url).database or "") if _sqlite_schema else None
    copied = file is not None and not file.exists()
    if copied:
        shutil.copyfile(_sqlite_schema, file)
    engine = create_engine(database_url)
    if not copied:
        async with engine.begin() as conn:
            if PG_URL:
                tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            else:  # a file the test made before
                await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_pool(engine)


@pytest.fixture
async def session(pool) -> AsyncIterator[AsyncSession]:
    """A session for service tests; the test commits when it wants rows to stay."""
    async with pool() as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=database_url,
        admin_ids=frozenset({ADMIN_ID}),
        redis_url=None,
        throttle_rate=0,
    )


@pytest.fixture
def make_env(pool) -> Iterator[Callable[..., BotEnv]]:
    """Builds a dispatcher on the fake Bot API; call again to simulate a restart.

    Afterwards, any call Telegram would have refused (a 400 such as "message is not
    modified") fails the test, unless the test said it expects it (`api.allow(...)`)."""
    apis: list[FakeBotAPI] = []

    def make(settings: Settings, storage=None, api: FakeBotAPI | None = None) -> BotEnv:
        api = api or FakeBotAPI()
        apis.append(api)
        bot = create_bot(settings, session=api)
        dp = create_dispatcher(settings, pool, storage or SqlStorage(pool))
        return BotEnv(dp, bot, api)

    yield make
    refused = [str(exc) for api in apis for exc in api.unexpected_refusals()]
    assert refused == [], f"Telegram would have refused: {refused}"


@pytest.fixture
def env(make_env, settings) -> BotEnv:
    return make_env(settings)
