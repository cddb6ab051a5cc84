"""refund quantity: a line is refunded in several steps, some of its units each time

`refunds.quantity` counts the units a line refund covered (NULL for a whole-order
refund); the unique (order, line) index becomes a plain one. This revision leaves
`products` alone (0010 is the last one to rebuild it on SQLite).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAME_LINE = "r2.order_id = refunds.order_id AND r2.order_item_id = refunds.order_item_id"


def upgrade() -> None:
    op.add_column("refunds", sa.Column("quantity", sa.Integer(), nullable=True))
    # Before, a line refund covered the whole line.
    op.execute(
        "UPDATE refunds SET quantity = (SELECT order_items.quantity FROM order_items "
        "WHERE order_items.id = refunds.order_item_id) WHERE order_item_id IS NOT NULL"
    )
    op.drop_index("uq_refunds_order_item", table_name="refunds")
    op.create_index(
        op.f("ix_refunds_order_item"), "refunds", ["order_id", "order_item_id"], unique=False
    )


def downgrade() -> None:
    # The old schema holds one refund per line: a line's partial refunds become one row
    # (their sum; the line then reads as refunded in full).
    op.execute(
        "UPDATE refunds SET amount = (SELECT SUM(r2.amount) FROM refunds r2 WHERE "
        f"{SAME_LINE}) WHERE order_item_id IS NOT NULL AND id = (SELECT MIN(r2.id) "
        f"FROM refunds r2 WHERE {SAME_LINE})"
    )
    op.execute(
        "DELETE FROM refunds WHERE order_item_id IS NOT NULL AND id > (SELECT MIN(r2.id) "
        f"FROM refunds r2 WHERE {SAME_LINE})"
    )
    op.drop_index(op.f("ix_refunds_order_item"), table_name="refunds")
    op.create_index("uq_refunds_order_item", "refunds", ["order_id", "order_item_id"], unique=True)
    op.drop_column("refunds", "quantity")
