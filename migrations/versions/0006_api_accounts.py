"""api accounts: users may log in with a password (login, password_hash, email) and may
have no Telegram id; the app's generated settings; failed logins for the lockout

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("login", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.alter_column("telegram_id", existing_type=sa.BigInteger(), nullable=True)
        batch.create_unique_constraint("uq_users_login", ["login"])
    op.create_table(
        "app_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_settings")),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_login_at", "login_failures", ["login", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_login_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("app_settings")
    # Users with no Telegram id can't stay in a table that requires one.
    op.execute("DELETE FROM users WHERE telegram_id IS NULL")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_login", type_="unique")
        batch.alter_column("telegram_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_column("email")
        batch.drop_column("password_hash")
        batch.drop_column("login")
