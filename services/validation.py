"""What people type, checked and normalised. Pure functions: one place for each rule.

Each raises `InvalidInput` with a message meant for the person who typed the value.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_precision, get_currency_symbol, list_currencies

from services.errors import InvalidInput
from services.texts import N_

NAME_MAX = 100
DESCRIPTION_MAX = 1000
STOCK_MAX = 1_000_000

# Spaces people (and phone keyboards) put between thousands.
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2009'’_]+")
# The shop's currency typed before or after the number ("1299 ₽", "1299 руб.", "1299р",
# "RUB 1299", "$12.50", "12.50 USD"), and another currency's, which is refused.
_RUBLE_WORDS = r"руб(?:лей|ля|ль)?\.?(?![а-яё])|р\.?(?![а-яё])"
# Signs by currency, where Babel writes a code ("KZT 100") rather than the sign people type.
_SIGN_OF = {"KZT": "₸", "TRY": "₺", "UAH": "₴", "CNY": "¥", "INR": "₹", "KRW": "₩", "RUB": "₽"}
_SIGNS = "$€£¥₽₸₴₹₩₺₪₫฿"
_OTHER_RUBLE = re.compile(r"(?:^|[\d\s])(?:руб(?:лей|ля|ль)?\.?|р\.?)(?![а-яё])", re.IGNORECASE)
_CODE_AT_END = re.compile(r"(?:^|[\d\s])([a-z]{3})\.?$|^([a-z]{3})(?=[\d\s])", re.IGNORECASE)
_NUMBER = re.compile(r"^(?P<sign>[-−–]?)(?P<int>\d+)(?:\.(?P<frac>\d*))?$")
# '1,299' or '12,345,678': commas between groups of three, as English writes thousands
# (and Russian writes 1,299 for a fraction with three digits, which no amount has).
_COMMA_THOUSANDS = re.compile(r"^[1-9]\d{0,2}(?:,\d{3})+$")


# Letters and symbols that draw nothing (Hangul fillers, the blank Braille pattern): the
# favourites of "invisible name" tricks, with the zero-width and format characters.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def visible(text: str) -> bool:
    """Whether `text` shows anything: not only whitespace, zero-width, format or control
    characters. Every field that must say something (names, addresses, comments,
    replies) asks this, so "\u200b" is as empty as "" everywhere."""
    # Marks (M: combining accents, variation selectors) show only on a letter before them.
    return any(c not in _BLANK_GLYPHS and unicodedata.category(c)[0] not in "ZCM" for c in text)


# Line breaks as str.splitlines() knows them (a name joined from several lines would
# show them, or be glued together without the person seeing it).
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Bidi embeddings, overrides and isolates: they turn around the text after them, and
# whatever is shown next to it ("\u202egnp.exe" reads "exe.png"), so a name could pass
# for another. The marks LRM/RLM (U+200E, U+200F) only nudge neutral characters: allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NO_BIDI_CONTROLS = str.maketrans(dict.fromkeys(_BIDI_CONTROLS))

MULTI_LINE_NAME = N_("The name must be on one line: please send it without line breaks.")
BIDI_CONTROL = N_(
    "Please send it without text direction control characters (such as U+202E): "
    "they make the text read differently for others."
)


def shown_problem(text: str, *, one_line: bool = False) -> str | None:
    """What is wrong with a text that others will be shown, as a msgid (None: nothing).
    `one_line`: a name, shown on one line (descriptions, comments and replies may have
    several). Only new input is checked: what is stored stays as it is."""
    if not _BIDI_CONTROLS.isdisjoint(text):
        return BIDI_CONTROL
    if one_line and not _LINE_BREAKS.isdisjoint(text):
        return MULTI_LINE_NAME
    return None


def without_bidi_controls(text: str) -> str:
    """`text` with those controls taken out: for what people set outside our dialogs (their
    Telegram name), so it can't be refused, yet is shown to others. What is stored stays."""
    return text.translate(_NO_BIDI_CONTROLS)


def check_shown(text: str, *, one_line: bool = False) -> None:
    """Raises InvalidInput with `shown_problem`'s message, if there is one."""
    if problem := shown_problem(text, one_line=one_line):
        raise InvalidInput(problem)


@dataclass(frozen=True, slots=True)
class MoneyTexts:
    """What an amount typed for one field is told when it is wrong, naming that field."""

    not_number: str
    too_precise: str
    not_positive: str
    too_big: str  # {max}
    whole_number: str  # not a number, where the currency has no cents
    no_cents: str  # {currency}


PRICE = MoneyTexts(
    N_("Send the price as a number, for example 1299 or 1 299,50."),
    N_("The price can have at most two digits after the decimal point."),
    N_("The price must be greater than zero."),
    N_("The price can't be more than {max}."),
    N_("Send the price as a whole number, for example 1299."),
    N_("Prices in {currency} are whole numbers, for example 1299."),
)


COMMA_THOUSANDS = N_(
    "Did you mean {whole}? Send it without the comma. A comma or a point starts the "
    "fraction, with at most two digits after it."
)


def price_places(currency: str | None) -> int:
    """Digits a price may have after the decimal point: the currency's minor unit (RUB,
    USD: 2; JPY, KRW: 0), at most 2 (what the price columns keep). None: 2, the format
    check of a layer that doesn't know the shop's currency (the service checks again)."""
    return 2 if currency is None else min(get_currency_precision(currency), 2)


def minor_unit(currency: str | None) -> Decimal:
    """The smallest amount of the currency the shop counts: 0.01, or 1 (JPY)."""
    return Decimal(1).scaleb(-price_places(currency))


OTHER_CURRENCY = N_("Prices here are in {currency}: send the amount in {currency}.")


@lru_cache(maxsize=16)
def _currency_marks(currency: str) -> re.Pattern[str]:
    """The ways the shop's currency is typed next to an amount: its code and its signs
    (as English and Russian write them), and for the ruble the Russian words."""
    marks = {
        currency,
        f"{currency}.",
        *(get_currency_symbol(currency, lang) for lang in "en ru".split()),
        *_SIGN_OF.get(currency, ""),
    }
    alternatives = "|".join(re.escape(m) for m in sorted(marks, key=len, reverse=True))
    if currency == "RUB":
        alternatives += f"|{_RUBLE_WORDS}"
    return re.compile(rf"^(?:{alternatives})\s*|\s*(?:{alternatives})$", re.IGNORECASE)


def _without_currency(text: str, currency: str | None) -> str:
    """The amount without the shop's currency; another currency's sign or code refused,
    not taken as an amount in the shop's (100 $ in a ruble shop is not 100 ₽). None (a
    layer that doesn't know the shop's currency): no sign or code is taken away, so such
    a text is "not a number" there, and the caller leaves it to one that knows."""
    value = text.strip()
    if currency is None:
        return value
    minus = value[:1] if value[:1] in "-−–" else ""  # "-$5": the sign before the mark
    value = _currency_marks(currency).sub("", value[len(minus) :].strip()).strip()
    code = _CODE_AT_END.search(value)
    named = code and (code[1] or code[2]).upper() in list_currencies()
    own = set(_SIGN_OF.get(currency, "")) | set(get_currency_symbol(currency, "en"))
    foreign = any(sign in value for sign in _SIGNS if sign not in own)
    if foreign or named or _OTHER_RUBLE.search(value):
        raise InvalidInput(OTHER_CURRENCY, currency=currency)
    return minus + value


def parse_price(
    text: str, max_price: Decimal, currency: str | None = None, texts: MoneyTexts = PRICE
) -> Decimal:
    """'1299', '1 299,50', '1299.5', '1299 ₽', '1 299 руб', '$12.50' (in a dollar shop)
    -> Decimal with two places. Cents only where the currency has them: '999.50' is
    refused in JPY ('999.00' is 999). Other amounts (a discount, a minimum order) pass
    their own `texts`."""
    places = price_places(currency)
    value = _SPACES.sub("", _without_currency(text, currency and currency.upper()))
    if _COMMA_THOUSANDS.match(value):
        whole = value.replace(",", "")
        if places:  # cents or thousands? Ask rather than guess.
            raise InvalidInput(COMMA_THOUSANDS, whole=whole)
        value = whole  # no cents in this currency: only thousands
    if "," in value and "." in value:
        # '1,299.50' or '1.299,50': the last mark is the decimal one.
        thousands = "," if value.rfind(",") < value.rfind(".") else "."
        value = value.replace(thousands, "")
    value = value.replace(",", ".")
    match = _NUMBER.match(value)
    if match is None:
        raise InvalidInput(texts.whole_number if places == 0 else texts.not_number)
    frac = match["frac"] or ""
    if len(frac.rstrip("0")) > places:
        if places == 0:
            raise InvalidInput(texts.no_cents, currency=currency)
        raise InvalidInput(texts.too_precise)
    try:
        amount = Decimal(f"{match['int']}.{frac or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise InvalidInput(texts.not_number) from None
    if match["sign"] or amount <= 0:
        raise InvalidInput(texts.not_positive)
    if amount > max_price:
        raise InvalidInput(texts.too_big, max=grouped(max_price))
    return amount.quantize(Decimal("0.01"))


def ungrouped(text: str) -> str:
    """A typed number without its digit-group spaces: '1 000' is '1000'."""
    return _SPACES.sub("", text.strip())


def grouped(number: int | Decimal) -> str:
    """A number as the messages write it: 1 000 000."""
    return f"{number:,}".replace(",", " ")


def parse_stock(text: str) -> int:
    """A whole number of items, 0 or more: '12', '1 000'."""
    value = ungrouped(text)
    if re.fullmatch(r"[-−–]\d+", value):
        raise InvalidInput(N_("Stock can't be negative."))
    if not re.fullmatch(r"\d+", value):
        raise InvalidInput(N_("Send the stock as a whole number, for example 0 or 25."))
    stock = int(value)
    if stock > STOCK_MAX:
        raise InvalidInput(N_("Stock can't be more than {max}."), max=grouped(STOCK_MAX))
    return stock


def clean_name(text: str) -> str:
    name = " ".join(text.split())
    if not visible(name):
        raise InvalidInput(N_("The name can't be empty."))
    check_shown(text.strip(), one_line=True)  # before the lines were joined
    if len(name) > NAME_MAX:
        raise InvalidInput(
            N_("The name is too long: {length} characters, at most {max}."),
            length=len(name),
            max=NAME_MAX,
        )
    return name


def clean_description(text: str) -> str:
    """The description as saved; one that shows nothing ("\u200b") is none at all."""
    description = text.strip()
    if not visible(description):
        return ""
    check_shown(description)  # may have several lines
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(
            N_("The description is too long: {length} characters, at most {max}."),
            length=len(description),
            max=DESCRIPTION_MAX,
        )
    return description
