"""promo_favourites: favourites and back-in-stock alerts (restock_alerts)

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "favourites",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_favourites_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_favourites_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "product_id", name=op.f("pk_favourites")),
    )
    with op.batch_alter_table("favourites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_favourites_product_id"), ["product_id"], unique=False)
        batch_op.create_index("ix_favourites_user_listing", ["user_id", "created_at"], unique=False)

    op.create_table(
        "restock_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "due",
                "sending",
                "sent",
                "blocked",
                "failed",
                name="alertstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_restock_alerts_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_restock_alerts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restock_alerts")),
    )
    with op.batch_alter_table("restock_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_restock_alerts_product_status", ["product_id", "status"], unique=False
        )
        batch_op.create_index("ix_restock_alerts_status_id", ["status", "id"], unique=False)
        batch_op.create_index(
            "ix_restock_alerts_user_product", ["user_id", "product_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("restock_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_restock_alerts_user_product")
        batch_op.drop_index("ix_restock_alerts_status_id")
        batch_op.drop_index("ix_restock_alerts_product_status")

    op.drop_table("restock_alerts")
    with op.batch_alter_table("favourites", schema=None) as batch_op:
        batch_op.drop_index("ix_favourites_user_listing")
        batch_op.drop_index(batch_op.f("ix_favourites_product_id"))

    op.drop_table("favourites")
