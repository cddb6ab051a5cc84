"""Promo codes' rules as pure functions: what a code looks like, when it applies, and
the discount it gives. Money is Decimal, to the cent; no I/O here."""

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from models import PromoCode, PromoKind
from services.errors import DomainError, InvalidInput
from services.texts import N_
from services.validation import MoneyTexts, grouped, minor_unit, parse_price, ungrouped

CENT = Decimal("0.01")
_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,31}")


class PromoRejected(DomainError):
    """A code that can't be used now; `code` is in the params (and `amount`, a Decimal
    the screen formats as money, for a minimum order)."""


UNKNOWN = N_("There is no promo code {code}.")
DISABLED = N_("The promo code {code} is no longer valid.")
EXPIRED = N_("The promo code {code} has expired.")
RAN_OUT = N_("The promo code {code} has run out.")
USED_UP = N_("You have already used the promo code {code}.")
TOO_SMALL = N_("The promo code {code} needs an order of at least {amount}.")
NOTHING_ELIGIBLE = N_("The promo code {code} doesn't apply to anything in your cart.")


def clean_code(text: str) -> str:
    code = text.strip().upper()
    if not _CODE.fullmatch(code):
        raise InvalidInput(
            N_("A promo code is 3 to 32 letters, digits, - or _, for example WINTER10.")
        )
    return code


def usable(promo: PromoCode, now: datetime, used_by_customer: int) -> None:
    """Raises PromoRejected unless the code can be used at all by this customer now."""
    code = promo.code
    if not promo.is_active:
        raise PromoRejected(DISABLED, code=code)
    if promo.expires_at is not None and _aware(promo.expires_at) <= now:
        raise PromoRejected(EXPIRED, code=code)
    if promo.total_uses is not None and promo.used >= promo.total_uses:
        raise PromoRejected(RAN_OUT, code=code)
    if used_by_customer >= promo.per_customer:
        raise PromoRejected(USED_UP, code=code)


@dataclass(frozen=True, slots=True)
class Priced:
    """A cart line as the discount sees it."""

    category_id: int
    total: Decimal


def discount(
    promo: PromoCode,
    lines: Iterable[Priced],
    eligible_categories: set[int] | None,
    currency: str | None = None,
):
    """The discount on these lines (raises PromoRejected when there is none to give):
    percent of the eligible lines, rounded half-up to the cent, or the fixed amount up to
    their sum. `eligible_categories` None: every line. It may cover the whole order: such
    an order needs no payment at all (checkout places it as paid, with no invoice)."""
    lines = list(lines)
    subtotal = sum((line.total for line in lines), Decimal(0))
    if promo.min_order is not None and subtotal < promo.min_order:
        raise PromoRejected(TOO_SMALL, code=promo.code, amount=promo.min_order)
    eligible = sum(
        (
            line.total
            for line in lines
            if eligible_categories is None or line.category_id in eligible_categories
        ),
        Decimal(0),
    )
    if eligible <= 0:
        raise PromoRejected(NOTHING_ELIGIBLE, code=promo.code)
    if promo.kind is PromoKind.percent:
        step = minor_unit(currency)  # whole yen in JPY: what is shown is what is charged
        amount = (eligible * promo.value / 100).quantize(step, rounding=ROUND_HALF_UP)
    else:
        amount = min(promo.value, eligible)
    return min(amount, subtotal)


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- what the admin types ---------------------------------------------------------------

MAX_PERCENT = Decimal(99)
MAX_COUNT = 1_000_000


def parse_percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().rstrip("%").replace(",", ".").strip())
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or not 1 <= value <= MAX_PERCENT or value != value.quantize(CENT):
        raise InvalidInput(N_("Send a percent from 1 to 99, for example 10 or 12.5."))
    return value.quantize(CENT)


def check_discount(kind: PromoKind, value: Decimal) -> None:
    """A percent from 1 to 99 (to the cent), or a positive fixed amount."""
    if kind is PromoKind.percent and not 1 <= value <= MAX_PERCENT:
        raise InvalidInput(N_("Send a percent from 1 to 99, for example 10 or 12.5."))
    if value <= 0:
        raise InvalidInput(N_("The discount must be more than zero."))


def check_total_uses(total_uses: int | None, used: int) -> None:
    """An edited limit in all may not be below the uses already counted: they stay
    counted (orders hold them), and "used 12 of 10" would mean nothing. Equal to them
    stops new uses."""
    if total_uses is not None and total_uses < used:
        raise InvalidInput(
            N_("The code has already been used {used} times: uses in all can't be fewer."),
            used=used,
        )


DISCOUNT_AMOUNT = MoneyTexts(
    N_("Send the discount as a number, for example 500 or 99,50."),
    N_("The discount can have at most two digits after the decimal point."),
    N_("The discount must be more than zero."),
    N_("The discount can't be more than {max}."),
    N_("Send the discount as a whole number, for example 500."),
    N_("Discounts in {currency} are whole numbers, for example 500."),
)
MIN_ORDER = MoneyTexts(
    N_("Send the minimum order as a number, for example 1000 or 999,50."),
    N_("The minimum order can have at most two digits after the decimal point."),
    N_("The minimum order must be more than zero (or press Skip for none)."),
    N_("The minimum order can't be more than {max}."),
    N_("Send the minimum order as a whole number, for example 1000."),
    N_("Amounts in {currency} are whole numbers, for example 1000."),
)


def parse_amount_off(text: str, max_price: Decimal, currency: str | None = None) -> Decimal:
    """A fixed discount, as prices are typed (in the shop's currency's precision)."""
    return parse_price(text, max_price, currency, DISCOUNT_AMOUNT)


def parse_min_order(text: str, max_price: Decimal, currency: str | None = None) -> Decimal:
    return parse_price(text, max_price, currency, MIN_ORDER)


def parse_count(text: str) -> int:
    """Uses of a code: '5', '1 000'."""
    value = ungrouped(text)
    if not _digits(value) or not 0 < int(value) <= MAX_COUNT:
        raise InvalidInput(N_("Send a whole number from 1 to {max}."), max=grouped(MAX_COUNT))
    return int(value)


def _digits(value: str) -> bool:
    """0-9 only: str.isdigit() also takes "²", which int() refuses."""
    return value.isascii() and value.isdigit()


MAX_DAYS = 3650  # ten years: further than that is "no expiry", which has its own button


def parse_expiry(text: str, now: datetime) -> datetime:
    """'7' (days from now), '2026-12-31' or '31.12.2026' (the end of that day, UTC): a
    moment to come, at most MAX_DAYS away."""
    value = text.strip()
    last = now + timedelta(days=MAX_DAYS)
    if _digits(value) and int(value) > 0:
        if int(value) <= MAX_DAYS:  # to the minute (never exactly midnight: that's a day)
            end = (now + timedelta(days=int(value))).replace(second=0, microsecond=0)
            return end + timedelta(minutes=1) if (end.hour, end.minute) == (0, 0) else end
        raise _too_far(last)
    day = None
    for form in ("%Y-%m-%d", "%d.%m.%Y"):  # as ISO writes it, and as Russians do
        with contextlib.suppress(ValueError):
            day = datetime.strptime(value, form).replace(tzinfo=UTC)
    if day is not None and day.date() > last.date():  # 9999-12-31 has no day after it
        raise _too_far(last)
    if day is not None and day + timedelta(days=1) > now:
        return day + timedelta(days=1)
    raise InvalidInput(
        N_(
            "Send a date to come as YYYY-MM-DD or DD.MM.YYYY (for example 2026-12-31), or a "
            "number of days from 1 to {max}."
        ),
        max=MAX_DAYS,
    )


def _too_far(last: datetime) -> InvalidInput:
    return InvalidInput(
        N_("A code can be valid for at most {max} days, that is until {last} at the latest."),
        max=MAX_DAYS,
        last=last.date().isoformat(),
    )
