"""search index: products.sold, the popularity index, and the search index
(pg_trgm GIN on PostgreSQL, an FTS5 trigram table kept by triggers on SQLite)

The index objects are not in the models (see models/search_index.py; env.py's
`include_name` keeps them out of autogenerate). This revision keeps its own copy of
their DDL, as a revision must not change when the models do.

On SQLite without the trigram tokenizer (before 3.34, or FTS5 not compiled in) there is
no FTS table and search scans, as before. A later revision that rebuilds `products` in
batch mode drops the triggers: it must create them again (searches scan meanwhile, see
`sqlite_fts_ready`).

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POPULARITY = (
    "CREATE INDEX IF NOT EXISTS ix_products_popularity ON products (sold DESC, "
    "(CASE WHEN rating_count > 0 THEN rating_sum * 100 / rating_count ELSE 0 END) DESC, "
    "id DESC)"
)
PG_UP = (
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_products_search_trgm ON products "
    "USING gin (search_text gin_trgm_ops)",
)
SQLITE_UP = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(search_text, "
    "content='products', content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER IF NOT EXISTS products_fts_insert AFTER INSERT ON products BEGIN "
    "INSERT INTO products_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS products_fts_delete AFTER DELETE ON products BEGIN "
    "INSERT INTO products_fts(products_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS products_fts_update AFTER UPDATE OF search_text ON products "
    "BEGIN INSERT INTO products_fts(products_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO products_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO products_fts(products_fts) VALUES ('rebuild')",
)


def _has_trigram() -> bool:
    bind = op.get_bind()
    try:
        bind.exec_driver_sql(
            "CREATE VIRTUAL TABLE temp.trigram_probe USING fts5(x, tokenize='trigram')"
        )
    except sa.exc.OperationalError:
        return False
    bind.exec_driver_sql("DROP TABLE temp.trigram_probe")
    return True


def upgrade() -> None:
    op.add_column("products", sa.Column("sold", sa.Integer(), server_default="0", nullable=False))
    # Units of orders that were not cancelled or refunded (those returned their stock).
    op.execute(
        "UPDATE products SET sold = COALESCE((SELECT sum(order_items.quantity) "
        "FROM order_items JOIN orders ON orders.id = order_items.order_id "
        "WHERE order_items.product_id = products.id "
        "AND orders.status NOT IN ('cancelled', 'refunded')), 0)"
    )
    op.execute(POPULARITY)
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for ddl in PG_UP:
            op.execute(ddl)
    elif dialect == "sqlite" and _has_trigram():
        for ddl in SQLITE_UP:
            op.execute(ddl)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_products_popularity")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_products_search_trgm")
    elif dialect == "sqlite":
        for trigger in ("products_fts_insert", "products_fts_delete", "products_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS products_fts")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("sold")
