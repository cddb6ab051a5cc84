"""The shop owner's shell: ADMIN_IDS on every start, `python -m bot admin`, backups.

The command-line tests run `main()` on a SQLite file in an empty directory, as an
owner would; what ADMIN_IDS does to the database runs on both databases.
"""

import asyncio
import logging
import sqlite3
from unittest.mock import patch

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select

from bot import migrate
from bot.__main__ import main
from bot.admin_cli import apply_admin_ids
from bot.config import Settings
from db.engine import create_engine
from models import AuditEntry, Role, User
from tests.conftest import APP_ENV_FILE
from tests.tg import TOKEN

OWNER = 77


async def test_admin_ids_make_an_owner_who_wrote_first_admin_on_restart(
    make_env, settings, pool, session
):
    # The owner pressed /start before putting their id in ADMIN_IDS.
    before = make_env(settings.model_copy(update={"admin_ids": frozenset()}))
    reply = await before.user(OWNER, "Olga", username="olga").send("/start")
    assert not reply.has_button("Admin panel")

    # They set ADMIN_IDS=77,88 and restart: 88 has never written to the bot.
    assert await apply_admin_ids(pool, frozenset({OWNER, 88})) == ["77 @olga Olga"]
    after = make_env(settings.model_copy(update={"admin_ids": frozenset({OWNER, 88})}))
    assert (await after.user(OWNER, "Olga").send("/start")).has_button("Admin panel")
    assert (await after.user(88, "Pavel").send("/start")).has_button("Admin panel")

    entry = await session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.after["role"]) == ("user.role", None, "admin")
    # Applying them again changes nothing and says so.
    assert await apply_admin_ids(pool, frozenset({OWNER, 88})) == []


async def test_admin_ids_unban_the_owner(env, pool, session):
    await env.user(OWNER).send("/start")
    owner = await session.scalar(select(User).where(User.telegram_id == OWNER))
    owner.is_banned = True
    await session.commit()
    assert await apply_admin_ids(pool, frozenset({OWNER})) == ["77 Ann"]
    reply = await env.user(OWNER).send("/start")
    assert reply.has_button("Admin panel")


# -- python -m bot ... on a SQLite file ---------------------------------------------


@pytest.fixture
def shop(monkeypatch, tmp_path):
    """An empty directory with the shop's database in it, and a clean environment."""
    monkeypatch.setitem(Settings.model_config, "env_file", APP_ENV_FILE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///shop.db")
    return tmp_path


def cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, (out.out + out.err).strip()


def query(path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_admin_add_list_remove(shop, capsys):
    assert cli(capsys, "admin", "list") == (
        0,
        "No admins yet: python -m bot admin add <your Telegram id>",
    )
    # Someone who has never written to the bot: added by id, admin on their first /start.
    assert cli(capsys, "admin", "add", "42") == (
        0,
        "42 (has not written to the bot yet) is now an admin",
    )
    assert cli(capsys, "admin", "add", "42") == (
        0,
        "42 (has not written to the bot yet) is already an admin",
    )
    assert cli(capsys, "admin", "list", "42") == (
        2,
        "error: admin list takes no id or @username (got '42')",
    )
    assert cli(capsys, "admin", "add", "@ghost") == (
        2,
        "error: Nobody matching '@ghost' has used the bot yet: use their numeric Telegram id",
    )
    # The last admin stays: the shop can't lock itself out from the shell either.
    assert cli(capsys, "admin", "remove", "42") == (
        2,
        "error: This is the last admin: make someone else admin first.",
    )
    query_rows = "INSERT INTO users (telegram_id, username, first_name, language, role, "
    query_rows += "is_banned, ban_notified, is_active, created_at, updated_at) VALUES "
    query_rows += "(5, 'ann', 'Ann', 'en', 'seller', 0, 0, 1, '2026-01-01', '2026-01-01')"
    with sqlite3.connect(shop / "shop.db") as conn:
        conn.execute(query_rows)
    assert cli(capsys, "admin", "add", "@Ann") == (0, "5 @ann Ann is now an admin")
    assert cli(capsys, "admin", "list") == (
        0,
        "42 (has not written to the bot yet)\n5 @ann Ann",
    )
    assert cli(capsys, "admin", "remove", "42") == (
        0,
        "42 (has not written to the bot yet) is now a customer",
    )
    assert query(shop / "shop.db", "SELECT telegram_id, role FROM users ORDER BY id") == [
        (42, "customer"),
        (5, "admin"),
    ]
    # `remove` takes the admin role only: a seller named by mistake stays a seller, and
    # their products stay on sale.
    with sqlite3.connect(shop / "shop.db") as conn:
        conn.execute(query_rows.replace("(5, 'ann', 'Ann'", "(6, 'sam', 'Sam'"))
    assert cli(capsys, "admin", "remove", "@sam") == (
        0,
        "6 @sam Sam is not an admin (seller): nothing changed",
    )
    assert query(shop / "shop.db", "SELECT role FROM users WHERE telegram_id = 6") == [("seller",)]


@pytest.mark.parametrize("who", ["²", "1²", "①", "١٢٣", "12345678901234567", "0"])
def test_admin_add_takes_only_an_id_admin_remove_could_find(shop, capsys, who):
    """Digits int() refuses (a traceback before), other scripts' digits and ids longer
    than Telegram's are one line, exit 2, and nobody is made admin."""
    assert cli(capsys, "admin", "add", who) == (2, f"error: {who} is not a Telegram user id")
    assert cli(capsys, "admin", "list")[1].startswith("No admins yet")


def test_admin_list_shows_names_without_direction_controls(shop, capsys):
    """A Telegram name is set in Telegram; "\u202e" in it would reverse the owner's line."""
    assert cli(capsys, "admin", "add", "42")[0] == 0
    with sqlite3.connect(shop / "shop.db") as conn:
        conn.execute(
            "UPDATE users SET first_name = ?, username = 'ev' WHERE telegram_id = 42",
            ("Ev\u202eil",),
        )
    assert cli(capsys, "admin", "list") == (0, "42 @ev Evil")


def test_admin_remove_warns_when_admin_ids_will_undo_it(shop, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_IDS", "42")
    assert cli(capsys, "admin", "add", "43")[0] == 0
    assert cli(capsys, "admin", "add", "42")[0] == 0
    code, out = cli(capsys, "admin", "remove", "42")
    assert code == 0
    assert out.endswith(
        "is now a customer (still in ADMIN_IDS: remove it there too, "
        "or the next start makes them admin again)"
    )


def test_admin_ids_are_applied_at_start_with_one_log_line(shop, monkeypatch, capsys, caplog):
    assert cli(capsys, "admin", "add", "77") == (
        0,
        "77 (has not written to the bot yet) is now an admin",
    )
    assert cli(capsys, "admin", "add", "78")[0] == 0
    assert cli(capsys, "admin", "remove", "77")[0] == 0
    monkeypatch.setenv("ADMIN_IDS", "77")
    caplog.set_level(logging.INFO)
    assert main(["migrate"]) == 0
    assert [r.getMessage() for r in caplog.records if r.name == "bot"] == [
        "ADMIN_IDS: made admin: 77 (has not written to the bot yet)"
    ]
    assert query(shop / "shop.db", "SELECT role FROM users WHERE telegram_id = 77") == [("admin",)]


def test_backup_is_a_consistent_copy_while_the_bot_writes(shop, capsys):
    assert main(["migrate"]) == 0
    database = shop / "shop.db"
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO categories (name, slug, position, is_active, product_count, "
            "created_at, updated_at) VALUES ('Tea', 'tea', 0, 1, 0, '2026-01-01', '2026-01-01')"
        )
    # The bot is in the middle of a write that has not committed.
    busy = sqlite3.connect(database, isolation_level=None)
    busy.execute("BEGIN IMMEDIATE")
    busy.execute("UPDATE categories SET name = 'half-written'")
    try:
        code, out = cli(capsys, "backup", "copy.db")
    finally:
        busy.execute("ROLLBACK")
        busy.close()
    assert (code, out) == (0, "Backup written to copy.db")
    assert query(shop / "copy.db", "SELECT name FROM categories") == [("Tea",)]
    assert query(shop / "copy.db", "PRAGMA integrity_check") == [("ok",)]
    # Never over an existing file; a directory gets a dated file.
    assert cli(capsys, "backup", "copy.db") == (
        2,
        "error: copy.db already exists: choose another name",
    )
    assert cli(capsys, "backup", "nowhere/copy.db") == (
        2,
        "error: There is no directory nowhere to write copy.db in",
    )
    (shop / "backups").mkdir()
    code, out = cli(capsys, "backup", "backups")
    assert code == 0 and out.startswith("Backup written to backups/shop-")
    assert len(list((shop / "backups").glob("shop-*.db"))) == 1
    # A second one at once (a script, the same second): numbered, not refused.
    first = out.removeprefix("Backup written to ")
    with patch("bot.backup._stamp", return_value=first.removeprefix("backups/shop-")[:-3]):
        code, out = cli(capsys, "backup", "backups")
    assert (code, out) == (0, f"Backup written to {first[:-3]}-2.db")
    assert len(list((shop / "backups").glob("shop-*.db"))) == 2
    # Meant as a directory (a trailing slash) that isn't there: not a file of that name.
    assert cli(capsys, "backup", "later/") == (
        2,
        "error: There is no directory later to write the backup in",
    )
    assert not (shop / "later").exists()


def test_backup_on_postgresql_points_at_pg_dump(shop, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://shop:secret@db/shop")
    code, out = cli(capsys, "backup", "x")
    assert code == 2
    assert out.startswith("error: PostgreSQL: back up with pg_dump") and "secret" not in out
    # This shop's server, user and database, ready to paste.
    assert "pg_dump -Fc -f shop.dump -h db -U shop shop;" in out
    assert "pg_restore -c -h db -U shop -d shop shop.dump" in out
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://o%27neil@db/my%20shop")
    code, out = cli(capsys, "backup", "x")
    assert "-U 'o'\"'\"'neil' 'my shop';" in out  # quoted for the shell


def test_migrating_a_shop_with_data_backs_it_up_first(shop, capsys, caplog):
    async def shop_at_0004() -> None:
        engine = create_engine("sqlite+aiosqlite:///shop.db")
        await migrate.upgrade(engine, "0004")
        await engine.dispose()
        # Rows as revision 0004 has them (today's models may have columns it lacks).
        with sqlite3.connect(shop / "shop.db") as conn:
            conn.execute(
                "INSERT INTO categories (name, slug, is_active, position) VALUES ('Tea', 't', 1, 0)"
            )
            conn.execute(
                "INSERT INTO products (name, slug, description, price, stock, category_id, "
                "is_active, is_deleted, rating_sum, rating_count) "
                "VALUES ('Green tea', 'g', '', 5, 3, 1, 1, 0, 0, 0)"
            )

    asyncio.run(shop_at_0004())
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    caplog.set_level(logging.INFO)
    assert main(["migrate"]) == 0
    [saved] = shop.glob(f"shop.db.before-{head}-*.bak")
    assert query(saved, "SELECT version_num FROM alembic_version") == [("0004",)]
    assert query(saved, "SELECT name FROM products") == [("Green tea",)]
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot"]
    assert line == f"Database migrated from 0004 to {head}; the data before it is in {saved.name}"
    assert query(shop / "shop.db", "SELECT version_num FROM alembic_version") == [(head,)]


def test_a_new_or_empty_database_is_not_backed_up(shop, capsys):
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    assert list(shop.glob("*.bak")) == []


def test_env_file_is_read_by_the_commands(shop, monkeypatch, capsys):
    """The owner's .env works for `python -m bot admin` like for the bot."""
    monkeypatch.delenv("DATABASE_URL")
    (shop / ".env").write_text("DATABASE_URL=sqlite+aiosqlite:///from-env.db\n")
    assert cli(capsys, "admin", "add", "9")[0] == 0
    assert query(shop / "from-env.db", "SELECT role FROM users") == [(Role.admin.value,)]


def test_a_commands_usage_line_names_just_that_command(shop, capsys):
    """'usage: python -m bot [-h] [command] ... backup [-h] path' read as garbled."""
    with pytest.raises(SystemExit):
        main(["backup"])
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m bot backup [-h] path\n")
