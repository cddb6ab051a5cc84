"""How amounts, ratings and user-typed text are shown. One place for each."""

from decimal import ROUND_HALF_UP, Decimal

from aiogram.utils.text_decorations import html_decoration
from babel.numbers import format_currency, format_decimal

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
ALERT_LIMIT = 200
BUTTON_TEXT_LIMIT = 64


def money(amount: Decimal | int, currency: str, locale: str) -> str:
    """'1 299,50 ₽' in Russian, 'RUB 1,299.50' in English: rounded half-up to cents."""
    cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format_currency(cents, currency, locale=locale)


def stars(average: float | None) -> str:
    """Five stars, the average rounded to the nearest whole star ('★★★★☆')."""
    if average is None:
        return "☆☆☆☆☆"
    full = int(Decimal(str(average)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return "★" * full + "☆" * (5 - full)


def rating(rating_sum: int, rating_count: int, locale: str) -> str:
    """'★★★★☆ 4.3': stars and the average of the grades, half-up to one decimal, in the
    reader's number format ('4,3' in Russian). Only for products with reviews."""
    average = (Decimal(rating_sum) / rating_count).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{stars(float(average))} {format_decimal(average, '0.0', locale=locale)}"


def trim(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis; cut before escaping."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quote(text: str, limit: int | None = None) -> str:
    """User-typed text made safe for an HTML message, trimmed first when `limit` is set."""
    return html_decoration.quote(trim(text, limit) if limit else text)
