"""How amounts, ratings and user-typed text are shown. One place for each."""

import html
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_symbol

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
ALERT_LIMIT = 200
BUTTON_TEXT_LIMIT = 64


def money(amount: Decimal | int, currency: str, locale: str) -> str:
    """'1 299,50 ₽' in Russian, 'RUB 1,299.50' and '$1,299.50' in English (the spaces are
    no-break ones): rounded half-up to cents."""
    cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = format_currency(cents, currency, locale=locale)
    return _currency_spacing(text, get_currency_symbol(currency, locale=locale))


def _currency_spacing(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel leaves out ('RUB1,299.50'): a no-break space
    between the currency and a digit next to it, unless the currency's end there is a
    symbol ('$', '₽') or a space. The rule (`currencySpacing`: currencyMatch
    [[:^S:]&[:^Z:]], surroundingMatch [:digit:], insertBetween U+00A0) is the same in
    every locale the bot speaks."""
    at = text.find(symbol) if symbol else -1
    if at < 0:
        return text
    end = at + len(symbol)
    if end < len(text) and text[end].isdigit() and _spaced(symbol[-1]):
        text = text[:end] + "\u00a0" + text[end:]
    if at > 0 and text[at - 1].isdigit() and _spaced(symbol[0]):
        text = text[:at] + "\u00a0" + text[at:]
    return text


def _spaced(char: str) -> bool:
    """Neither a symbol nor a space: a letter of a code such as RUB."""
    return unicodedata.category(char)[0] not in "SZ"


def moment(when: datetime, locale: str) -> str:
    """A moment as the reader's language writes a date, in UTC: "Dec 7, 2026, 21:41 UTC",
    "7 дек. 2026 г., 21:41 UTC" (SQLite gives it back without its zone: it is UTC)."""
    when = _utc(when)
    return f"{day(when, locale)}, {when:%H:%M} UTC"


def day(when: date, locale: str) -> str:
    """A day as the reader's language writes it: "Dec 7, 2026", "7 дек. 2026 г." (a
    moment's day in UTC)."""
    return format_date(_utc(when) if isinstance(when, datetime) else when, "medium", locale=locale)


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def number(id_: int) -> str:
    """An order's, a review's or a broadcast's number as the reader's language writes it
    ("#12", Russian "№12")."""
    return _("#{id}").format(id=id_)


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


_TAG = re.compile(r"<[^>]*>")


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(html_text: str) -> str:
    """The text a message written in HTML shows (user text is escaped, so every '<' in
    it starts one of our tags)."""
    return html.unescape(_TAG.sub("", html_text)).strip()


def visible_length(html_text: str) -> int:
    """What Telegram counts against its limits: the HTML's visible text, in UTF-16 units."""
    return units(visible_text(html_text))


def fits(html_text: str, limit: int = TEXT_LIMIT) -> bool:
    return visible_length(html_text) <= limit


def trim(text: str, limit: int) -> str:
    """`text` cut to `limit` UTF-16 units with an ellipsis; cut before escaping."""
    if units(text) <= limit:
        return text
    text = text[: max(limit - 1, 0)]
    while text and units(text) > limit - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def within_quotes(name: str, limit: int | None = None) -> str:
    """A name put inside a message's own quotes («{name}», “{name}”), escaped: its own
    «» become „“, as Russian nests them (Носки „Котики“, not Носки «Котики» in «»)."""
    return quote(name.replace("«", "„").replace("»", "“"), limit)


def quote(text: str, limit: int | None = None) -> str:
    """User-typed text made safe for an HTML message, trimmed first when `limit` is set."""
    return html_decoration.quote(trim(text, limit) if limit else text)
