"""`python -m bot demo`: a demo shop in an empty database, never over a real one."""

import pytest
from sqlalchemy import func, select

from bot.config import ConfigError, Settings
from bot.demo import fill, fill_demo
from models import Category, Product, Review
from tests.factories import make_category, make_product
from tests.tg import TOKEN


async def test_demo_fills_a_living_shop(session, env):
    summary = await fill(session)
    await session.commit()
    products = (await session.scalars(select(Product))).all()
    assert 35 <= len(products) == summary.products
    assert any(p.stock == 0 for p in products) and any(p.rating_count for p in products)
    assert any(any("а" <= ch <= "я" for ch in p.name.lower()) for p in products)
    assert any(p.name.isascii() for p in products)
    nested = await session.scalar(
        select(func.count()).select_from(Category).where(Category.parent_id.is_not(None))
    )
    assert nested >= 5
    reviews = await session.scalar(select(func.count()).select_from(Review))
    assert reviews == summary.reviews == sum(p.rating_count for p in products)
    # A new user sees it at once, and search finds Russian products.
    reply = await env.user(1).send("/catalog")
    assert reply.has_button("Electronics") and reply.has_button("Книги")
    reply = await env.user(1).send("/search МАСТЕР")
    assert reply.has_button("Мастер и Маргарита")


async def test_demo_refuses_a_shop_with_products(session):
    cat = await make_category(session)
    await make_product(session, cat, "Real product")
    with pytest.raises(ConfigError, match="already has products"):
        await fill(session)
    assert await session.scalar(select(func.count()).select_from(Product)) == 1


async def test_fill_demo_migrates_a_new_database(tmp_path, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    settings = Settings(_env_file=None, bot_token=TOKEN, database_url=url)
    await fill_demo(settings)
    assert "Demo shop ready" in capsys.readouterr().out
    with pytest.raises(ConfigError):
        await fill_demo(settings)
