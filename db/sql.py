"""Small dialect-aware SQL helpers shared by services."""

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert


def upsert(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    keys: Iterable[str],
    update: Iterable[str],
) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET update-columns, for SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).values(**values)
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
    )
