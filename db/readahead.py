"""Read-ahead: a button press reads its screen in the same statement as its sender.

Every update reads its sender's row (and SQL dialog state) before any handler runs; a
second statement per press would cost as much again. So a button can declare the read
its screen needs (a `Read`, registered per `CallbackData` class where the routers are
assembled: `handlers.read_ahead`). The read-ahead middleware decodes the press with
aiogram's own `unpack` and hands the `Read` to the user middleware, which runs it as one
more column of the user lookup (`joined`): the screen's rows travel as one JSON array,
so the lookup stays one row. `keep` parks them in the update's session; the service's
`rows(session, read)` takes them from there the first time, or queries when nothing was
carried (a command, someone's first press). Either way the service sees the same rows.

The rows come from the update's own transaction, after its lock is held, and before
the update writes; nothing is cached across updates.
"""

import json
from collections import namedtuple
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    CompoundSelect,
    Enum,
    Integer,
    Numeric,
    Row,
    Select,
    String,
    Text,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

_JSON = json.JSONDecoder(parse_float=Decimal)  # numbers with a point: prices, exactly
CARRIED = "read_ahead"  # the lookup's extra column (the read's rows, as JSON), and
# the key of `session.info` where `keep` parks them


@dataclass(frozen=True, slots=True)
class Read:
    """One statement a service runs (built once, bound with `params`), ordered by the
    named columns `order`. Equal reads have equal keys."""

    stmt: Select | CompoundSelect
    params: Mapping[str, Any]
    order: tuple[str, ...]

    @property
    def key(self) -> Hashable:
        return (self.stmt, tuple(sorted(self.params.items())))


class Joined(NamedTuple):
    stmt: Select
    decode: Callable[[str | None], list[tuple[Any, ...]]]


# Given a press's unpacked callback data and the Telegram id of who pressed it: the read
# of the screen it opens (None: nothing to read ahead, e.g. an id no row can have).
ReadFor = Callable[[Any, int], "Read | None"]


class _json_rows(FunctionElement[str]):
    """Every row of the columns given, as one JSON array of arrays."""

    type = Text()
    inherit_cache = True


@compiles(_json_rows)
def _json_rows_standard(element: _json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_arrayagg(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(_json_rows, "sqlite")
def _json_rows_sqlite(element: _json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(_json_rows, "postgresql")
def _json_rows_postgresql(element: _json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    # As text: asyncpg would decode json itself, prices as floats.
    return f"CAST(json_agg(json_build_array({compiler.process(element.clauses, **kw)})) AS TEXT)"


def _from_json(type_: TypeEngine[Any]) -> Callable[[Any], Any] | None:
    """What turns a column's JSON value back into its type's Python value (None: the
    value is already right)."""
    if isinstance(type_, Boolean):
        return bool  # SQLite's 0/1
    if isinstance(type_, Numeric) and type_.asdecimal:  # JSON text is parsed as Decimal
        step = Decimal(1).scaleb(-type_.scale) if type_.scale is not None else None
        return (lambda v: Decimal(v).quantize(step)) if step else Decimal
    if isinstance(type_, Integer | String) and not isinstance(type_, Enum):
        return None
    # Dates (text on SQLite), floats, enums (their names), binary, JSON...
    raise ValueError(f"read-ahead: a {type_!r} column can't travel as JSON")


@cache
def joined(lookup: Select, stmt: Select | CompoundSelect) -> Joined:
    """`lookup` (at most one row) with every row of `stmt` in one more column, `CARRIED`.
    Built once per pair. The rows come unordered: `keep` puts them in `order`."""
    if CARRIED in {c["name"] for c in lookup.column_descriptions}:
        raise ValueError(f"read-ahead: the lookup must not have a column named {CARRIED!r}")
    rows = stmt.subquery("read_ahead_rows")
    carried = select(_json_rows(*rows.c)).scalar_subquery().label(CARRIED)
    names = list(rows.c.keys())
    Carried = namedtuple("Carried", names)  # type: ignore[misc]
    fixes = [(i, fix) for i, c in enumerate(rows.c) if (fix := _from_json(c.type)) is not None]

    def decode(text: str | None) -> list[tuple[Any, ...]]:
        found = _JSON.decode(text) if text else []  # PostgreSQL: NULL when there are none
        for i, fix in fixes:
            for values in found:
                if values[i] is not None:
                    values[i] = fix(values[i])
        return list(map(Carried._make, found))

    return Joined(lookup.add_columns(carried), decode)


def bound(params: Mapping[str, Any], read: Read) -> dict[str, Any]:
    """The parameters of a joined statement: the lookup's and the read's, which must not
    share a name (a read that rebound the lookup's `telegram_id` would load someone
    else's row)."""
    shared = params.keys() & read.params.keys()
    if shared:
        raise ValueError(f"read-ahead: parameter names must not repeat: {sorted(shared)}")
    return {**params, **read.params}


def keep(session: AsyncSession, read: Read, joined: Joined, row: Row) -> None:
    """Keeps the rows `read` returned inside the lookup's `row` for this session's first
    `rows(read)`."""
    session.info.setdefault(CARRIED, {})[read.key] = _ordered(
        read, joined.decode(getattr(row, CARRIED))
    )


async def rows(session: AsyncSession, read: Read) -> Sequence[Any]:
    """The rows of `read` in its `order` (named: `row.name`): the carried ones when
    this update's lookup carried it (the first time it is asked for), otherwise the
    result of running it now."""
    kept = session.info.get(CARRIED)
    if kept is not None:
        found = kept.pop(read.key, None)
        if found is not None:
            return found
    return _ordered(read, list((await session.execute(read.stmt, dict(read.params))).all()))


def _ordered(read: Read, found: list[Any]) -> list[Any]:
    """`found` in `read.order`, sorted here rather than by the database (~10 rows, where
    SQLite would build a temporary B-tree)."""
    found.sort(key=attrgetter(*read.order))
    return found
