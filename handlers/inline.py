"""Inline mode: `@bot words` in any chat lists matching products to post."""

from aiogram import Bot, Router
from aiogram.types import InlineQuery

from handlers.context import Ctx
from screens.inline import inline_results

RESULTS = 20  # per answer; more come with the next offset
CACHE_SECONDS = 30


async def on_inline_query(inline_query: InlineQuery, ctx: Ctx, bot: Bot) -> None:
    offset = inline_query.offset
    after = int(offset) if offset.isdigit() and len(offset) < 11 else 0  # the last id shown
    products = await ctx.catalog.matching(inline_query.query, after, RESULTS)
    results = inline_results(
        products,
        bot_username=(await bot.me()).username or "",
        currency=ctx.settings.currency,
        locale=ctx.locale,
    )
    next_offset = str(products[-1].id) if len(products) == RESULTS else ""
    await inline_query.answer(
        results, cache_time=CACHE_SECONDS, is_personal=True, next_offset=next_offset
    )


def build_router() -> Router:
    router = Router(name=__name__)
    router.inline_query.register(on_inline_query)
    return router
