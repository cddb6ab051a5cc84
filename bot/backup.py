"""Backups of a SQLite shop: `python -m bot backup PATH`, and one automatically before
migrations change a database that holds data.

SQLite's online backup API copies a consistent snapshot while the bot keeps running
(and writing). PostgreSQL has pg_dump for that; this module only says so.
"""

import itertools
import os
import shlex
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import ConfigError


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other databases and in-memory ones."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def backup(url: str, path: str) -> Path:
    """Copies the shop's SQLite database to `path` (a file, or a directory to put a
    dated file in: one that exists, or is written with a trailing slash); the file
    written. `ConfigError` when that can't be done here."""
    target = Path(path)
    source = sqlite_file(url)
    if source is None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "postgresql":
            where = " ".join(  # this shop's server, user and database (never the password)
                f"{flag} {shlex.quote(str(value))}"
                for flag, value in (
                    ("-h", parsed.host),
                    ("-p", parsed.port),
                    ("-U", parsed.username),
                )
                if value
            )
            db = shlex.quote(parsed.database) if parsed.database else "<database>"
            raise ConfigError(
                f"PostgreSQL: back up with pg_dump, e.g. pg_dump -Fc -f shop.dump {where} {db}; "
                f"restore with pg_restore -c {where} -d {db} shop.dump".replace("  ", " ")
            )
        raise ConfigError("backup works for SQLite files only")
    if not source.is_file():
        raise ConfigError(f"There is no database file at {source}")
    if path.endswith(("/", os.sep)) and not target.is_dir():  # meant as a directory
        raise ConfigError(f"There is no directory {target} to write the backup in")
    if target.is_dir():  # a dated name; two backups in one second: -2, -3...
        name = f"{source.stem}-{_stamp()}"
        target = target / f"{name}.db"
        for n in itertools.count(2):
            if not target.exists():
                break
            target = target.parent / f"{name}-{n}.db"
    if target.exists():
        raise ConfigError(f"{target} already exists: choose another name")
    if not target.parent.is_dir():
        raise ConfigError(f"There is no directory {target.parent} to write {target.name} in")
    return copy(source, target)


def backup_before_migrating(url: str, head: str) -> Path:
    """A copy next to the database, named after the time and the revision coming."""
    source = sqlite_file(url)
    assert source is not None
    return copy(source, source.with_name(f"{source.name}.before-{head}-{_stamp()}.bak"))


def copy(source: Path, target: Path) -> Path:
    # Written under a temporary name: a backup cut short never looks like a good one.
    partial = target.with_name(target.name + ".partial")
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(f"Backup of {source} to {target} failed: {exc}") from None
    finally:
        src.close()
    partial.replace(target)
    return target


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
