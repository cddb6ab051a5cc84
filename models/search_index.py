"""The search index over `products.search_text` (the folded name and description), built
by hand because neither kind is something a model can declare for both databases.

- Both: `ix_products_popularity`, the order of matches within a tier (an expression
  index: models can't declare it on both databases alike).
- PostgreSQL: a `pg_trgm` GIN index, so `search_text LIKE '%word%'` (each word of a
  search) is answered from the index instead of reading every product.
- SQLite: an FTS5 table with the trigram tokenizer (SQLite 3.34+), external content
  (`products`, nothing stored twice), kept in step by three triggers on `products`;
  searches ask it for the candidate ids. Where SQLite lacks the tokenizer there is no
  table and search scans, as it did before.

Revision 0010 creates these on a migrated database (with its own copy of the DDL, as
migrations keep theirs); `Base.metadata.create_all` (tests, benchmarks) creates them
through the table events below. `include_name` keeps them out of Alembic's comparison
(they are not in the models, so autogenerate would otherwise want to drop them).
"""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, column, event, table, text
from sqlalchemy.exc import SAWarning

from models.product import Product

PG_INDEX = "ix_products_search_trgm"
# Search order within a tier (`services.catalog_search.popularity`), both databases: a
# common word's first page is a walk down this index, stopping after a page of matches.
POPULARITY_INDEX = "ix_products_popularity"
POPULARITY_DDL = (
    f"CREATE INDEX IF NOT EXISTS {POPULARITY_INDEX} ON products (sold DESC, "
    "(CASE WHEN rating_count > 0 THEN rating_sum * 100 / rating_count ELSE 0 END) DESC, "
    "id DESC)"
)
FTS_TABLE = "products_fts"
FTS_TRIGGERS = ("products_fts_insert", "products_fts_delete", "products_fts_update")
# The FTS5 table's own storage tables (and the table itself), as SQLite lists them.
FTS_NAMES = frozenset(
    {FTS_TABLE} | {f"{FTS_TABLE}_{s}" for s in ("data", "idx", "docsize", "config")}
)

# The FTS table as searches name it (not in the models' metadata: never created from it).
products_fts = table(FTS_TABLE, column("rowid"), column("search_text"))

PG_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON products USING gin (search_text gin_trgm_ops)",
    POPULARITY_DDL,
)
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_text, "
    "content='products', content_rowid='id', tokenize='trigram case_sensitive 1')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TRIGGERS[0]} AFTER INSERT ON products BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TRIGGERS[1]} AFTER DELETE ON products BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TRIGGERS[2]} AFTER UPDATE OF search_text ON products "
    f"BEGIN INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
)


def sqlite_has_trigram(conn: Connection) -> bool:
    """Whether this SQLite's FTS5 has the trigram tokenizer (3.34+, FTS5 compiled in)."""
    try:
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE temp.trigram_probe USING fts5(x, tokenize='trigram')"
        )
    except Exception:  # no FTS5, or no trigram tokenizer: the driver's OperationalError
        return False
    conn.exec_driver_sql("DROP TABLE temp.trigram_probe")
    return True


def ensure(conn: Connection, rebuild: bool = False) -> None:
    """Creates whatever of the index is missing; `rebuild`: SQLite's FTS table is filled
    again from `products` (after rows were loaded without the triggers)."""
    if conn.dialect.name == "postgresql":
        for ddl in PG_DDL:
            conn.exec_driver_sql(ddl)
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql(POPULARITY_DDL)
        if not sqlite_has_trigram(conn):
            return
        existed = _sqlite_table_exists(conn)
        for ddl in SQLITE_DDL:
            conn.exec_driver_sql(ddl)
        if rebuild or not existed:
            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def drop(conn: Connection) -> None:
    """Removes the index (the pg_trgm extension stays: other things may use it)."""
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {POPULARITY_INDEX}")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")
    elif conn.dialect.name == "sqlite":
        for trigger in FTS_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def _sqlite_table_exists(conn: Connection) -> bool:
    return bool(
        conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=:n"),
            {"n": FTS_TABLE},
        ).scalar()
    )


def sqlite_fts_ready(conn: Connection) -> bool:
    """Whether searches may use the FTS table: it and all three of its triggers exist (a
    migration that rebuilds `products` in batch mode drops the triggers; then the table
    goes stale, and searches scan rather than miss rows)."""
    names = {FTS_TABLE, *FTS_TRIGGERS}
    found = conn.execute(
        text("SELECT count(*) FROM sqlite_master WHERE name IN (:a, :b, :c, :d)"),
        dict(zip("abcd", sorted(names), strict=True)),
    ).scalar()
    return found == len(names)


@contextmanager
def quiet_reflection() -> Iterator[None]:
    """Reflecting `products` (Alembic's comparison) warns that the popularity index, an
    expression index, can't be reflected: it is known and left out on purpose."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=f".*expression-based index {POPULARITY_INDEX}", category=SAWarning
        )
        yield


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's filter: the search index objects are not the models' business."""
    if type_ == "table":
        return name not in FTS_NAMES
    if type_ == "index":
        return name not in (PG_INDEX, POPULARITY_INDEX)
    return True


@event.listens_for(Product.__table__, "after_create")
def _create(_table: object, conn: Connection, **_kw: object) -> None:
    ensure(conn)


@event.listens_for(Product.__table__, "before_drop")
def _drop(_table: object, conn: Connection, **_kw: object) -> None:
    drop(conn)
