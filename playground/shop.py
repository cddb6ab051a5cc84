"""The playground's database: migrated, and the demo shop in it when it is empty."""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import demo
from models import Product, Role, User
from playground.personas import SELLER

log = logging.getLogger(__name__)

IMAGE_PATH = "/img/"


def image_url(base_url: str, product: Product) -> str:
    return f"{base_url}{IMAGE_PATH}{product.slug}.png"


async def prepare(session: AsyncSession, base_url: str) -> bool:
    """Fills an empty shop with the demo; returns whether it did.

    The demo's products get pictures this server draws, and the seller persona becomes
    the demo's first seller, so a new order reaches the seller's chat in the page.
    """
    if await demo.has_products(session):
        return False
    summary = await demo.fill(session)
    for product in await session.scalars(select(Product).where(Product.image_url.is_(None))):
        product.image_url = image_url(base_url, product)
    first_seller = await session.scalar(
        select(User).where(User.role == Role.seller).order_by(User.telegram_id.desc()).limit(1)
    )
    taken = await session.scalar(select(User.id).where(User.telegram_id == SELLER.user_id))
    if first_seller is not None and taken is None:
        await session.execute(
            update(User)
            .where(User.id == first_seller.id)
            .values(telegram_id=SELLER.user_id, is_active=True)
        )
    await session.flush()
    log.info(
        "Demo shop ready: %s categories, %s products, %s reviews",
        summary.categories,
        summary.products,
        summary.reviews,
    )
    return True
