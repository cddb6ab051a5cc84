"""order_items.discount: each line's part of the order's promo discount

A code limited to a category discounts only that category's lines: a refund of another
line gives back what it cost in full, not a share of the discount. Orders placed before
keep 0 on every line; refunds spread their discount over the lines alike, as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "order_items",
        sa.Column(
            "discount", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("order_items") as batch:
        batch.drop_column("discount")
