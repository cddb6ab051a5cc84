"""Reads that ride along with the user's row: a button press in one statement.

Every update reads its sender's row (and dialog state) before any handler runs, and a
second statement per press costs as much as the screen's own query. So a screen that a
button opens can hand its read to the user middleware (a `Prefetcher`, given the
button's callback data). The middleware joins that read to the user lookup, runs the
two as one statement, and leaves the screen's rows in the session, where the service's
`rows(read)` finds them instead of querying.

Nothing here can go stale: the rows come from the statement that read the user, in the
update's own transaction, and they go with the session when the update ends. A read
that finds no user row (someone's first press) is simply not kept.
"""

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import CompoundSelect, Row, Select, true
from sqlalchemy.ext.asyncio import AsyncSession

_KEPT = "prefetched"


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
    width: int  # the lookup's columns, first in each row


# Given a button's callback data: the read of the screen it opens, if that can be prefetched.
Prefetcher = Callable[[str], Read | None]


@cache
def joined(lookup: Select, stmt: Select | CompoundSelect) -> Joined:
    """`lookup` (at most one row) with every row of `stmt` beside it; one row with NULLs
    for `stmt`'s columns when it has none. Built once per pair. The rows come unordered
    (an outer ORDER BY cost SQLite a sort as dear as the lookup): `keep` puts them back
    in `order`."""
    rows = stmt.subquery("prefetched")
    # Rows are read by column name: a name on both sides would reach the wrong one.
    clash = {c["name"] for c in lookup.column_descriptions} & set(rows.c.keys())
    if clash:
        raise ValueError(f"prefetch: column names must not repeat: {sorted(clash)}")
    (left,) = lookup.get_final_froms()
    fused = lookup.add_columns(*rows.c).outerjoin_from(left, rows, true())
    return Joined(fused, len(lookup.column_descriptions))


def bound(params: Mapping[str, Any], read: Read) -> dict[str, Any]:
    """The parameters of a joined statement: the lookup's and the read's, which must not
    share a name (a read that rebound the lookup's `telegram_id` would load someone
    else's row)."""
    shared = params.keys() & read.params.keys()
    if shared:
        raise ValueError(f"prefetch: parameter names must not repeat: {sorted(shared)}")
    return {**params, **read.params}


def keep(session: AsyncSession, read: Read, joined: Joined, rows: Sequence[Row]) -> None:
    """Keeps the rows `read` returned inside `joined` (a row of NULLs after the lookup's
    columns is the outer join's filler) for this session's first `rows(read)`."""
    found = [r for r in rows if any(v is not None for v in r[joined.width :])]
    found.sort(key=attrgetter(*read.order))
    session.info.setdefault(_KEPT, {})[read.key] = found


async def rows(session: AsyncSession, read: Read) -> Sequence[Row]:
    """The rows of `read`: the prefetched ones when this update's lookup carried it (the
    first time it is asked for), otherwise the result of running it now."""
    kept = session.info.get(_KEPT)
    if kept is not None:
        found = kept.pop(read.key, None)
        if found is not None:
            return found
    return (await session.execute(read.stmt, dict(read.params))).all()
