"""catalog: folded search text of products, kept product count of categories

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fold(text: str) -> str:
    # A copy of models.product.search_fold as it was at this revision.
    return text.casefold().replace("ё", "е")


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("product_count", sa.Integer(), server_default="0", nullable=False)
        )

    connection = op.get_bind()
    products = sa.table(
        "products",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("search_text", sa.Text),
        sa.column("category_id", sa.Integer),
        sa.column("is_active", sa.Boolean),
        sa.column("is_deleted", sa.Boolean),
    )
    categories = sa.table(
        "categories", sa.column("id", sa.Integer), sa.column("product_count", sa.Integer)
    )
    rows = connection.execute(sa.select(products.c.id, products.c.name, products.c.description))
    for row in rows.all():
        connection.execute(
            products.update()
            .where(products.c.id == row.id)
            .values(search_text=_fold(f"{row.name}\n{row.description or ''}"))
        )
    listed = (
        sa.select(sa.func.count())
        .where(
            products.c.category_id == categories.c.id,
            products.c.is_active.is_(True),
            products.c.is_deleted.is_(False),
        )
        .scalar_subquery()
    )
    connection.execute(categories.update().values(product_count=listed))


def downgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("product_count")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("search_text")
