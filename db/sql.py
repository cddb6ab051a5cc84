"""Small dialect-aware SQL helpers shared by services."""

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Boolean, Integer, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.functions import FunctionElement


def _insert(session: AsyncSession | Session, table: Table) -> Any:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(table)


def insert_new(
    session: AsyncSession | Session, table: Table, values: Mapping[str, Any], keys: Iterable[str]
) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO NOTHING: a row that may already exist (a race
    another update won), without a SAVEPOINT. (On SQLite a SAVEPOINT outside an explicit
    BEGIN is a transaction of its own: releasing it would commit the update's writes so
    far, before the update itself commits.)"""
    return (
        _insert(session, table).values(**values).on_conflict_do_nothing(index_elements=list(keys))
    )


def upsert(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    keys: Iterable[str],
    update: Iterable[str],
) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET update-columns, for SQLite and PostgreSQL."""
    stmt = _insert(session, table).values(**values)
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
    )


class position_of(FunctionElement[int]):
    """position_of(text, part): where `part` first starts in `text`, counted from 1; 0
    when it is not there (SQLite's instr, PostgreSQL's strpos)."""

    type = Integer()
    name = "position_of"
    inherit_cache = True


@compiles(position_of)
def _instr(element: position_of, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(position_of, "postgresql")
def _strpos(element: position_of, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


class same(FunctionElement[bool]):
    """same(column, value): `column = value`. On PostgreSQL written as the range `column
    BETWEEN value AND value`, for a statement ordered by (column, ...): PostgreSQL keeps
    one plan for a prepared statement, made without the values, and with `=` it takes
    the value for a constant, orders by the columns after it, and may then walk the
    primary key filtering rows (cheap for the largest category, a read of a whole id
    range for a small one). With the range, its one plan walks the index on (column,
    ...) from the value, whatever the value is, so it is kept and not re-planned.

    `value` is a bound parameter (it is written twice on PostgreSQL)."""

    type = Boolean()
    name = "same"
    inherit_cache = True
    _is_implicitly_boolean = True  # a comparison: SQLite must not get `(...) = 1`


@compiles(same)
def _equals(element: same, compiler: Any, **kw: Any) -> str:
    column, value = (compiler.process(c, **kw) for c in element.clauses)
    return f"{column} = {value}"


@compiles(same, "postgresql")
def _between(element: same, compiler: Any, **kw: Any) -> str:
    column, value = element.clauses
    bound = compiler.process(value, **kw)
    return f"{compiler.process(column, **kw)} BETWEEN {bound} AND {bound}"
