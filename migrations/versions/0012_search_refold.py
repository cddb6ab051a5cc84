"""search refold: products' search text read as it shows (Unicode forms, no format marks)

`products.search_text` is folded again with the fold of this revision: format characters
(zero-width spaces, bidi marks) dropped and the NFKC form taken before case-folding, so
"е" with a combining diaeresis is "ё" (then "е") and full-width letters are letters. Only
rows whose text changes are written; most (plain letters) don't. No schema change.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import re
import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
_FORMAT = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf")
    + "]"
)


def _fold(text: str) -> str:
    # A copy of models.product.search_fold as it is at this revision.
    return unicodedata.normalize("NFKC", _FORMAT.sub("", text)).casefold().replace("ё", "е")


def _fold_before(text: str) -> str:
    # The fold of revisions 0002-0011.
    return text.casefold().replace("ё", "е")


def _refold(fold: Callable[[str], str]) -> None:
    products = sa.table(
        "products",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("search_text", sa.Text),
    )
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(products).where(products.c.id > after).order_by(products.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        changed = [
            {"row_id": row.id, "folded": folded}
            for row in rows
            if (folded := fold(f"{row.name}\n{row.description or ''}")) != row.search_text
        ]
        if changed:
            connection.execute(
                products.update()
                .where(products.c.id == sa.bindparam("row_id"))
                .values(search_text=sa.bindparam("folded")),
                changed,
            )
        after = rows[-1].id


def upgrade() -> None:
    _refold(_fold)


def downgrade() -> None:
    _refold(_fold_before)
