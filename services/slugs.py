"""URL slugs from human names: transliterated, lower-case, unique in one column."""

import re

from slugify import slugify
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

# Room kept at the end of the column for "-<n>".
_SUFFIX_ROOM = 8
_FALLBACK = "item"


def make_slug(name: str, max_length: int = 100) -> str:
    """'Зелёный чай' -> 'zelenyi-chai'; a name with no letters or digits gives 'item'."""
    return slugify(name, max_length=max_length, word_boundary=True) or _FALLBACK


async def unique_slug(
    session: AsyncSession,
    column: InstrumentedAttribute[str],
    name: str,
    *,
    exclude_id: int | None = None,
) -> str:
    """A slug for `name` not yet used in `column` (e.g. `Product.slug`, `Category.slug`).

    The first free one of 'chai', 'chai-2', 'chai-3', ... One SELECT of the slugs that
    could clash. `exclude_id` ignores the row being renamed (so it may keep its slug).
    Concurrent inserts can still race; the column's unique constraint is the last word.
    """
    length = getattr(column.type, "length", None) or 255
    base = make_slug(name, max_length=max(1, length - _SUFFIX_ROOM))
    model = column.class_
    escaped = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = select(column).where((column == base) | column.like(f"{escaped}-%", escape="\\"))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    taken = set((await session.scalars(stmt)).all())
    if base not in taken:
        return base
    pattern = re.compile(rf"^{re.escape(base)}-(\d+)$")
    used = {int(m.group(1)) for s in taken if (m := pattern.match(s))}
    n = 2
    while n in used:
        n += 1
    return f"{base}-{n}"
