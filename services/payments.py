"""How an order's total becomes an invoice amount, and whether it can be one. Pure
functions, no I/O."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

from models import PaymentMethod
from services.errors import DomainError
from services.texts import N_

STARS = "XTR"
PAYLOAD_PREFIX = "order:"

# Telegram refuses a card invoice below its `min_amount` for the currency, or above its
# `max_amount` (core.telegram.org/bots/payments/currencies.json): about US$1 and US$10,000
# at the day's exchange rate (RUB 74.87 one day, 86.53 another). These are a little inside
# them, so a rate change doesn't let the bot offer an invoice Telegram refuses.
# PROVIDER_MIN_AMOUNT and PROVIDER_MAX_AMOUNT override; another currency without them:
# only a zero total is kept from an invoice.
PROVIDER_MINIMUMS = {
    "USD": Decimal("1.00"),
    "EUR": Decimal("1.00"),
    "GBP": Decimal("1.00"),
    "RUB": Decimal("100.00"),
    "UAH": Decimal("50.00"),
    "KZT": Decimal("600.00"),
}
PROVIDER_MAXIMUMS = {
    "USD": Decimal("10000.00"),
    "EUR": Decimal("8000.00"),
    "GBP": Decimal("7000.00"),
    "RUB": Decimal("700000.00"),
    "UAH": Decimal("350000.00"),
    "KZT": Decimal("4500000.00"),
}


@dataclass(frozen=True, slots=True)
class CardLimits:
    """The shop's smallest and largest card payment (PROVIDER_MIN_AMOUNT and
    PROVIDER_MAX_AMOUNT), None where unset: then the built-in figure for the currency."""

    minimum: Decimal | None = None
    maximum: Decimal | None = None


class CardLimit(DomainError):
    """A total a card payment can't be made for: above zero and under the smallest one
    the payment takes (BelowMinimum), or over the largest (AboveMaximum). `limit` and
    `total` are kept as Decimals for the screens to format as money; the message's
    params are plain ("RUB 5.00") for the web API."""

    limit_name = "minimum"

    def __init__(self, limit: Decimal, total: Decimal, currency: str) -> None:
        self.limit, self.total, self.currency = limit, total, currency
        cents = Decimal(10) ** -get_currency_precision(currency)  # "RUB 200.00", not "RUB 200"
        plain = {self.limit_name: limit, "total": total}
        super().__init__(**{k: f"{currency} {v.quantize(cents)}" for k, v in plain.items()})


class BelowMinimum(CardLimit):
    message = N_("The smallest card payment is {minimum}, and this order comes to {total}.")


class AboveMaximum(CardLimit):
    message = N_("The largest card payment is {maximum}, and this order comes to {total}.")
    limit_name = "maximum"


class InvoiceRefused(DomainError):
    """Telegram refused the invoice itself (a 400: an amount over a limit it doesn't
    publish, a provider token it rejects): sending it again won't help."""

    message = N_(
        "Telegram didn't accept the invoice for this order. Write to us with /paysupport "
        "and we'll sort it out."
    )


def provider_minimum(currency: str, configured: Decimal | None = None) -> Decimal:
    """The smallest total a provider (card) invoice may have in this currency."""
    if configured is not None:
        return configured
    return PROVIDER_MINIMUMS.get(currency.upper(), Decimal(0))


def provider_maximum(currency: str, configured: Decimal | None = None) -> Decimal | None:
    """The largest total a provider (card) invoice may have in this currency (None: not
    known, not checked)."""
    if configured is not None:
        return configured
    return PROVIDER_MAXIMUMS.get(currency.upper())


def check_chargeable(
    total: Decimal, method: PaymentMethod, currency: str, limits: CardLimits = CardLimits()
) -> None:
    """Raises CardLimit unless an invoice for `total` can be sent. Checkout (before the
    order is placed), the order card's Pay and the web API all ask this. A zero total
    needs no invoice at all (a promo code covered it: paid when placed); Stars round up to
    at least 1 Star, which Telegram takes; cash is paid on delivery."""
    if method is not PaymentMethod.provider or total <= 0:
        return
    smallest = provider_minimum(currency, limits.minimum)
    if total < smallest:
        raise BelowMinimum(smallest, total, currency)
    largest = provider_maximum(currency, limits.maximum)
    if largest is not None and total > largest:
        raise AboveMaximum(largest, total, currency)


def invoice_currency(method: PaymentMethod, currency: str) -> str:
    return STARS if method is PaymentMethod.stars else currency


def invoice_amount(
    total: Decimal, method: PaymentMethod, currency: str, stars_per_unit: Decimal
) -> int:
    """The amount in the invoice currency's smallest units, as the Bot API wants it.

    Stars are whole: total × stars_per_unit rounded up (the shop never undercharges),
    at least 1. Other currencies: total in minor units (kopecks, cents), rounded half-up.
    """
    if method is PaymentMethod.stars:
        return max(1, int((total * stars_per_unit).to_integral_value(rounding=ROUND_CEILING)))
    scale = Decimal(10) ** get_currency_precision(currency)
    return int((total * scale).to_integral_value(rounding=ROUND_HALF_UP))


def payload(order_id: int) -> str:
    return f"{PAYLOAD_PREFIX}{order_id}"


def order_id_from(payload_text: str) -> int | None:
    if not payload_text.startswith(PAYLOAD_PREFIX):
        return None
    tail = payload_text.removeprefix(PAYLOAD_PREFIX)
    return int(tail) if tail.isdigit() else None
