"""Inline mode's answer: products as articles to post in any chat."""

from collections.abc import Sequence

from aiogram.types import InlineQueryResultArticle, InputTextMessageContent

from keyboards.catalog import open_in_bot_kb, product_link
from keyboards.formatting import money, trim
from screens.catalog import card_text
from services.catalog import ProductView


def inline_results(
    products: Sequence[ProductView], *, bot_username: str, currency: str, locale: str
) -> list[InlineQueryResultArticle]:
    """One article per product: its card as the message, a button to open it in the bot."""
    results = []
    for product in products:
        link = product_link(bot_username, product.id)
        stock = "" if product.stock > 0 else " · ❌"
        results.append(
            InlineQueryResultArticle(
                id=str(product.id),
                title=trim(product.name, 100),
                description=money(product.price, currency, locale) + stock,
                thumbnail_url=product.image_url,
                input_message_content=InputTextMessageContent(
                    message_text=card_text(product, locale=locale, currency=currency)
                ),
                reply_markup=open_in_bot_kb(link),
            )
        )
    return results
