"""How an order's total becomes an invoice amount. Pure functions, no I/O."""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

from models import PaymentMethod

STARS = "XTR"
PAYLOAD_PREFIX = "order:"


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
