"""reservations: orders hold stock until expires_at; refunds of orders and lines

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_orders_reservation_sweep", ["status", "expires_at"])
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=True),
        sa.Column("admin_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("restocked", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_refunds_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["users.id"], name=op.f("fk_refunds_admin_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_refunds_order_item_id_order_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    op.create_index(op.f("ix_refunds_admin_id"), "refunds", ["admin_id"])
    op.create_index("uq_refunds_order_item", "refunds", ["order_id", "order_item_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_refunds_order_item", table_name="refunds")
    op.drop_index(op.f("ix_refunds_admin_id"), table_name="refunds")
    op.drop_table("refunds")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_index("ix_orders_reservation_sweep")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("expires_at")
