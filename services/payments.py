"""How an order's total becomes an invoice amount, and whether it can be one. Pure
functions, no I/O."""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

from models import PaymentMethod
from services.errors import DomainError
from services.texts import N_

STARS = "XTR"
PAYLOAD_PREFIX = "order:"

# Telegram refuses a card invoice below its `min_amount` for the currency
# (core.telegram.org/bots/payments/currencies.json): about US$1 at the day's exchange
# rate (RUB 74.87 one day, 86.53 another). These are a little above it, so a rate change
# doesn't let the bot offer an invoice Telegram refuses. PROVIDER_MIN_AMOUNT overrides;
# another currency without it: only a zero total is kept from an invoice.
PROVIDER_MINIMUMS = {
    "USD": Decimal("1.00"),
    "EUR": Decimal("1.00"),
    "GBP": Decimal("1.00"),
    "RUB": Decimal("100.00"),
    "UAH": Decimal("50.00"),
    "KZT": Decimal("600.00"),
}


class BelowMinimum(DomainError):
    """A total a card payment can't be made for: above zero, under the smallest one the
    payment takes. `minimum` and `total` are kept as Decimals for the screens to format as
    money; the message's params are plain ("RUB 5.00") for the web API."""

    message = N_("The smallest card payment is {minimum}, and this order comes to {total}.")

    def __init__(self, minimum: Decimal, total: Decimal, currency: str) -> None:
        self.minimum, self.total, self.currency = minimum, total, currency
        super().__init__(minimum=f"{currency} {minimum}", total=f"{currency} {total}")


def provider_minimum(currency: str, configured: Decimal | None = None) -> Decimal:
    """The smallest total a provider (card) invoice may have in this currency."""
    if configured is not None:
        return configured
    return PROVIDER_MINIMUMS.get(currency.upper(), Decimal(0))


def check_chargeable(
    total: Decimal, method: PaymentMethod, currency: str, minimum: Decimal | None = None
) -> None:
    """Raises BelowMinimum unless an invoice for `total` can be sent. Checkout (before the
    order is placed), the order card's Pay and the web API all ask this. A zero total
    needs no invoice at all (a promo code covered it: paid when placed); Stars round up to
    at least 1 Star, which Telegram takes; cash is paid on delivery."""
    if method is not PaymentMethod.provider or total <= 0:
        return
    smallest = provider_minimum(currency, minimum)
    if total < smallest:
        raise BelowMinimum(smallest, total, currency)


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
