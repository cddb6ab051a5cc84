"""Migrations keep data: a table rebuild on SQLite loses no rows, every revision goes down
and up again under the demo shop, and a migration that fails or breaks a foreign key
leaves the database as it was.

The stairway runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
"""

import shutil
import textwrap

import pytest
from sqlalchemy import func, inspect, select, text

from bot import migrate
from bot.demo import fill
from db.engine import create_engine, create_session_pool
from models import Category, Product, Review, User
from tests.test_migrations import revisions, scratch_url  # noqa: F401 (a fixture)


async def counts(engine) -> dict[str, int]:
    async with create_session_pool(engine)() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (User, Category, Product, Review)
        }


async def tables(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def demo_shop(url):
    engine = create_engine(url)
    await migrate.upgrade(engine)
    async with create_session_pool(engine)() as session, session.begin():
        await fill(session)
    return engine


def extra_revision(tmp_path, body: str):
    """A copy of the migrations with one more revision, 9999, after the head."""
    location = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, location, ignore=shutil.ignore_patterns("__pycache__"))
    code = textwrap.indent(textwrap.dedent(body), "    ")
    (location / "versions" / "9999_extra.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "9999"\ndown_revision = "{revisions()[-1]}"\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade():\n{code}\n\ndef downgrade():\n    pass\n"
    )
    return location


async def test_rebuilding_products_on_sqlite_keeps_every_review(tmp_path):
    engine = await demo_shop(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        before = await counts(engine)
        assert before["reviews"] > 20
        # What any future migration that alters `products` does on SQLite.
        location = extra_revision(
            tmp_path,
            """\
            with op.batch_alter_table("products", recreate="always") as batch:
                batch.add_column(sa.Column("extra", sa.Integer(), nullable=True))
            """,
        )
        await migrate.upgrade(engine, script_location=location)
        assert await counts(engine) == before
        async with engine.connect() as conn:
            # The bot's own connections get their foreign keys back.
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert "extra" in {c["name"] for c in await conn.run_sync(_columns)}
    finally:
        await engine.dispose()


def _columns(sync):
    return inspect(sync).get_columns("products")


async def test_every_revision_goes_down_and_up_under_the_demo_shop(scratch_url):  # noqa: F811
    engine = await demo_shop(scratch_url)
    try:
        filled = await counts(engine)
        steps = ["base", *revisions()]
        for previous in reversed(steps[:-1]):
            await migrate.downgrade(engine, previous)
            left = await tables(engine)
            assert not {t for t in left if t.startswith("_alembic_tmp")}, left
        assert await tables(engine) <= {"alembic_version"}
        await migrate.upgrade(engine)
        # Down to before broadcasts (the latest revision) and back: the shop is untouched.
        async with create_session_pool(engine)() as session, session.begin():
            await fill(session)
        filled_again = await counts(engine)
        assert filled_again == filled
        await migrate.downgrade(engine, steps[-2])
        await migrate.upgrade(engine)
        assert await counts(engine) == filled
    finally:
        await engine.dispose()


async def test_a_failing_migration_on_sqlite_changes_nothing(tmp_path):
    engine = await demo_shop(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        before, head = await counts(engine), revisions()[-1]
        location = extra_revision(
            tmp_path,
            """\
            op.create_table("scratch", sa.Column("id", sa.Integer(), primary_key=True))
            with op.batch_alter_table("products", recreate="always") as batch:
                batch.add_column(sa.Column("extra", sa.Integer(), nullable=True))
            op.execute("DELETE FROM reviews")
            raise RuntimeError("half way")
            """,
        )
        with pytest.raises(RuntimeError, match="half way"):
            await migrate.upgrade(engine, script_location=location)
        assert await migrate.pending(engine) == (head, head)
        assert "scratch" not in await tables(engine)
        assert await counts(engine) == before
    finally:
        await engine.dispose()


async def test_a_migration_that_breaks_a_foreign_key_on_sqlite_is_refused(tmp_path):
    engine = await demo_shop(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        before = await counts(engine)
        location = extra_revision(tmp_path, 'op.execute("DELETE FROM products")\n')
        with pytest.raises(RuntimeError, match=r"rolled back: \d+ row\(s\) would point"):
            await migrate.upgrade(engine, script_location=location)
        assert await counts(engine) == before
    finally:
        await engine.dispose()


async def test_migrations_refuse_a_sqlite_connection_inside_a_transaction(tmp_path):
    """There foreign keys can't be turned off, so a rebuild would cascade: refused."""
    from alembic import command

    engine = await demo_shop(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        before = await counts(engine)
        location = extra_revision(tmp_path, 'op.execute("DELETE FROM categories")\n')

        def upgrade(sync_connection) -> None:
            cfg = migrate.alembic_config(script_location=location)
            cfg.attributes["connection"] = sync_connection
            command.upgrade(cfg, "head")

        async with engine.begin() as conn:
            await conn.execute(text("UPDATE users SET first_name = first_name"))
            with pytest.raises(RuntimeError, match="outside a transaction"):
                await conn.run_sync(upgrade)
        assert await counts(engine) == before
    finally:
        await engine.dispose()
