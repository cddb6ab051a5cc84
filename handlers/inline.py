"""Inline mode: `@bot words` in any chat lists matching products to post."""

from aiogram import Bot, Router
from aiogram.types import InlineQuery, InlineQueryResultArticle, InputTextMessageContent
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from keyboards.catalog import open_in_bot_kb, product_link
from keyboards.formatting import money, trim
from screens.catalog import card_text
from services.catalog import CatalogService

RESULTS = 20  # per answer; more come with the next offset
CACHE_SECONDS = 30


async def on_inline_query(
    inline_query: InlineQuery, session: AsyncSession, settings: Settings, locale: str, bot: Bot
) -> None:
    offset = inline_query.offset
    before = int(offset) if offset.isdigit() and len(offset) < 11 else 0
    products = await CatalogService(session).newest_matching(inline_query.query, before, RESULTS)
    username = (await bot.me()).username or ""
    results = []
    for product in products:
        link = product_link(username, product.id)
        stock = "" if product.stock > 0 else " · ❌"
        results.append(
            InlineQueryResultArticle(
                id=str(product.id),
                title=trim(product.name, 100),
                description=money(product.price, settings.currency, locale) + stock,
                thumbnail_url=product.image_url,
                input_message_content=InputTextMessageContent(
                    message_text=card_text(product, locale=locale, currency=settings.currency)
                ),
                reply_markup=open_in_bot_kb(link),
            )
        )
    next_offset = str(products[-1].id) if len(products) == RESULTS else ""
    await inline_query.answer(
        results, cache_time=CACHE_SECONDS, is_personal=True, next_offset=next_offset
    )


def build_router() -> Router:
    router = Router(name=__name__)
    router.inline_query.register(on_inline_query)
    return router
