"""Inline mode's answer: products to post in any chat, each with its card and a button
to open it in the bot. A product with an uploaded photo is posted as that photo (by its
Telegram file id, which works in any chat of this bot) with the card as the caption;
one without is posted as text, with its image link (if any) as the thumbnail."""

from collections.abc import Sequence

from aiogram.types import (
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InputTextMessageContent,
)

from keyboards.formatting import CAPTION_LIMIT, money, trim
from keyboards.links import open_in_bot_kb, product_link
from screens.catalog import card_text
from services.catalog import ProductView

InlineResult = InlineQueryResultArticle | InlineQueryResultCachedPhoto


def inline_results(
    products: Sequence[ProductView], *, bot_username: str, currency: str, locale: str
) -> list[InlineResult]:
    results: list[InlineResult] = []
    for product in products:
        markup = open_in_bot_kb(product_link(bot_username, product.id))
        title = trim(product.name, 100)
        stock = "" if product.stock > 0 else " · ❌"
        description = money(product.price, currency, locale) + stock
        if product.photo_file_id:
            results.append(
                InlineQueryResultCachedPhoto(
                    id=str(product.id),
                    photo_file_id=product.photo_file_id,
                    title=title,
                    description=description,
                    caption=card_text(
                        product, locale=locale, currency=currency, limit=CAPTION_LIMIT
                    ),
                    reply_markup=markup,
                )
            )
            continue
        results.append(
            InlineQueryResultArticle(
                id=str(product.id),
                title=title,
                description=description,
                thumbnail_url=product.image_url,
                input_message_content=InputTextMessageContent(
                    message_text=card_text(product, locale=locale, currency=currency)
                ),
                reply_markup=markup,
            )
        )
    return results
