"""Property tests (hypothesis) for the money rules: what an invoice asks for."""

from decimal import Decimal

from babel.numbers import get_currency_precision
from hypothesis import given
from hypothesis import strategies as st

from models import PaymentMethod
from services.payments import invoice_amount, order_id_from, payload

# Order totals as the shop stores them: Numeric(12, 2), up to MAX_PRICE times a few.
totals = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2)


@given(totals, rates)
def test_stars_never_undercharge_and_never_round_up_a_whole_star(total, rate):
    amount = invoice_amount(total, PaymentMethod.stars, "RUB", rate)
    exact = total * rate
    assert isinstance(amount, int) and amount >= 1
    assert amount >= exact  # never less than the price
    assert amount - 1 < max(exact, 1)  # and never a whole Star more than needed


@given(totals, st.sampled_from(["RUB", "USD", "EUR", "JPY", "KWD"]))
def test_card_amounts_are_the_total_in_minor_units_within_half_a_unit(total, currency):
    amount = invoice_amount(total, PaymentMethod.provider, currency, Decimal(1))
    scale = Decimal(10) ** get_currency_precision(currency)
    assert isinstance(amount, int)
    assert abs(Decimal(amount) - total * scale) <= Decimal("0.5")


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_a_payload_names_its_order_and_nothing_else(order_id):
    assert order_id_from(payload(order_id)) == order_id
    assert order_id_from(payload(order_id) + "x") is None
    assert order_id_from(str(order_id)) is None
