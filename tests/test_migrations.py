"""Stairway: every revision upgrades, downgrades and upgrades again; head matches the models.

Runs on SQLite, and on PostgreSQL (a scratch database next to TEST_DATABASE_URL's) when
TEST_DATABASE_URL is set.
"""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from bot import migrate
from db.engine import create_engine
from models import Base
from models.search_index import include_name, quiet_reflection
from tests.conftest import PG_URL


@pytest.fixture
async def scratch_url(tmp_path):
    if not PG_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'stairway.db'}"
        return
    url = make_url(PG_URL)
    scratch = f"{url.database}_stairway"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        await conn.execute(text(f'CREATE DATABASE "{scratch}"'))
    yield url.set(database=scratch).render_as_string(hide_password=False)
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    await admin.dispose()


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_revisions_form_one_line():
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    assert revisions()[0] == "0001"


async def test_stairway(scratch_url):
    engine = create_engine(scratch_url)
    try:
        previous = "base"
        for revision in revisions():
            await migrate.upgrade(engine, revision)
            await migrate.downgrade(engine, previous)
            await migrate.upgrade(engine, revision)
            previous = revision
        async with engine.connect() as conn:
            with quiet_reflection():
                diff = await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(
                            sync, opts={"compare_type": True, "include_name": include_name}
                        ),
                        Base.metadata,
                    )
                )
        assert diff == [], f"migrations differ from the models: {diff}"
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        assert set(tables) <= {"alembic_version"}
    finally:
        await engine.dispose()


async def test_two_processes_migrating_at_once_both_succeed(scratch_url, tmp_path):
    """Two `python -m bot migrate` at once on an empty PostgreSQL database (webhook
    machines starting together): one migrates, the other waits for it and finds nothing
    to do. Before, the second failed ("duplicate key value violates unique constraint
    pg_type_typname_nsp_index")."""
    import asyncio
    import os
    import sys

    from tests.tg import TOKEN

    if not PG_URL:
        pytest.skip("one writer at a time on SQLite: two processes migrating need PostgreSQL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "REDIS_"))}
    env.update(BOT_TOKEN=TOKEN, DATABASE_URL=scratch_url)
    runs = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "migrate"),
            env=env,
            cwd=tmp_path,  # no .env of the developer's
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    errors = [(await run.communicate())[1].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    engine = create_engine(scratch_url)
    try:
        current, head = await migrate.pending(engine)
    finally:
        await engine.dispose()
    assert current == head
