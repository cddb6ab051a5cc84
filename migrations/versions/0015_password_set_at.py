"""users.password_set_at: when the password was last set

A Mini App's initData signed before it is refused, so a password reset (what a user does
after a leak) voids a leaked initData as it voids tokens. Passwords set before this
revision have none: their initData is checked for its age only, as before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("password_set_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_set_at")
