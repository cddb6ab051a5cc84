"""Row builders for tests. They flush, and the caller commits when rows must be seen by
the bot (which works in its own session)."""

import itertools
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from models import Category, Product, Role, User

_seq = itertools.count(1)


async def make_user(
    session: AsyncSession, telegram_id: int, role: Role = Role.customer, **fields
) -> User:
    user = User(
        telegram_id=telegram_id,
        first_name=fields.pop("first_name", f"User{telegram_id}"),
        role=role,
        language=fields.pop("language", "en"),
        **fields,
    )
    session.add(user)
    await session.flush()
    return user


async def make_category(
    session: AsyncSession, name: str = "", parent: Category | None = None, **fields
) -> Category:
    n = next(_seq)
    category = Category(
        name=name or f"Category {n}",
        slug=fields.pop("slug", f"category-{n}"),
        parent_id=parent.id if parent else None,
        **fields,
    )
    session.add(category)
    await session.flush()
    return category


async def make_product(
    session: AsyncSession,
    category: Category,
    name: str = "",
    price: Decimal | str = "100.00",
    stock: int = 10,
    seller: User | None = None,
    **fields,
) -> Product:
    n = next(_seq)
    product = Product(
        name=name or f"Product {n}",
        slug=fields.pop("slug", f"product-{n}"),
        description=fields.pop("description", ""),
        price=Decimal(price),
        stock=stock,
        category_id=category.id,
        seller_id=seller.id if seller else None,
        **fields,
    )
    session.add(product)
    await session.flush()
    return product
