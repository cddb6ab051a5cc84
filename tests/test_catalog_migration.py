"""Revision 0002 fills the new catalog columns for rows that existed before it."""

import pytest
from sqlalchemy import text

from bot import migrate
from db.engine import create_engine

# Its own SQLite file (or none): the PostgreSQL run would only repeat it.
pytestmark = pytest.mark.own_sqlite


async def test_0002_backfills_search_text_and_counts(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await migrate.upgrade(engine, "0001")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO categories (id, name, slug, is_active, position) "
                    "VALUES (1, 'Phones', 'phones', 1, 0), (2, 'Empty', 'empty', 1, 1)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO products (id, name, slug, description, price, stock, "
                    "category_id, is_active, is_deleted, rating_sum, rating_count) VALUES "
                    "(1, 'Ёлка PHONE', 'a', 'Большой', 10, 1, 1, 1, 0, 0, 0), "
                    "(2, 'Hidden', 'b', '', 10, 1, 1, 0, 0, 0, 0), "
                    "(3, 'Gone', 'c', '', 10, 1, 1, 1, 1, 0, 0)"
                )
            )
        await migrate.upgrade(engine, "0002")
        async with engine.connect() as conn:
            folded = await conn.scalar(text("SELECT search_text FROM products WHERE id = 1"))
            counts = dict(
                (await conn.execute(text("SELECT id, product_count FROM categories"))).all()
            )
        assert folded == "елка phone\nбольшой"
        assert counts == {1: 1, 2: 0}
    finally:
        await engine.dispose()
