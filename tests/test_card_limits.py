"""The largest card payment, and an invoice Telegram refuses. Telegram refuses a card
invoice over its `max_amount` for the currency (about US$10,000; PROVIDER_MAX_AMOUNT
here) as it does one under its `min_amount` (tests/test_promo_payable.py): checkout says
so on the summary, before any order, and the order card's Pay and the web API refuse it
too. An invoice Telegram refuses anyway (a 400: a Stars amount over a limit it doesn't
publish, a provider token it rejects) gets a clear answer, not an apology, and the order
stays."""

from decimal import Decimal

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import SendInvoice
from pydantic import SecretStr
from sqlalchemy import func, select

from keyboards.callback_data import CartAddCb, OrderAction, OrderCb
from models import CartItem, Order, OrderStatus, PaymentMethod, User
from services.payments import AboveMaximum, check_chargeable, provider_maximum
from tests.factories import make_category, make_product
from tests.test_checkout import to_summary

REFUSED = "Telegram didn't accept the invoice for this order. Write to us with /paysupport"


@pytest.fixture
def card_env(make_env, settings):
    token = SecretStr("284685063:TEST:abc")
    update = {"payment_method": "provider", "payment_provider_token": token}
    return make_env(settings.model_copy(update={**update, "provider_max_amount": Decimal(200)}))


@pytest.fixture
async def sencha(session):
    teas = await make_category(session, "Teas")
    product = await make_product(session, teas, "Sencha", price="150.00", stock=5)
    await session.commit()
    return product


async def _orders(session) -> int:
    return await session.scalar(select(func.count()).select_from(Order))


def test_the_built_in_maximum_is_about_ten_thousand_dollars():
    assert provider_maximum("usd") == Decimal("10000.00")
    assert provider_maximum("RUB", Decimal(5)) == Decimal(5)  # the setting wins
    assert provider_maximum("CHF") is None  # not known: not checked
    check_chargeable(Decimal("10000.00"), PaymentMethod.provider, "USD")
    with pytest.raises(AboveMaximum) as caught:
        check_chargeable(Decimal("10000.01"), PaymentMethod.provider, "USD")
    assert str(caught.value) == (
        "The largest card payment is USD 10000.00, and this order comes to USD 10000.01."
    )
    # Stars and cash aren't card payments.
    check_chargeable(Decimal("10000.01"), PaymentMethod.stars, "USD")
    check_chargeable(Decimal("10000.01"), PaymentMethod.cod, "USD")


async def test_too_much_for_a_card_payment_is_said_before_any_order(card_env, sencha, session):
    ann = card_env.user(1)
    await ann.click(CartAddCb(product_id=sencha.id))
    await ann.click(CartAddCb(product_id=sencha.id))
    shown = (await to_summary(ann)).text
    assert (
        "The largest card payment is RUB\xa0200.00, and this order comes to RUB\xa0300.00." in shown
    )
    assert "Take something out of the cart, or order it in parts." in shown
    labels = {b.split(" ", 1)[1] for b in ann.shown_buttons}
    assert {"Back to the cart", "Cancel"} <= labels and "Confirm" not in labels
    assert not any("Remove the code" in label for label in labels)
    assert await _orders(session) == 0
    # A word typed there: that screen's buttons again.
    reply = await ann.send("ok")
    assert reply.texts == ["Please use the buttons."]
    assert reply.has_button("Back to the cart") and not reply.has_button("Confirm")
    # One fewer: it can be ordered, and its invoice goes out.
    await ann.press("Back to the cart")
    await ann.press("➖")
    summary = await to_summary(ann)
    assert "Check your order" in summary.text
    [invoice] = (await ann.press("Confirm")).of(SendInvoice)
    assert sum(p.amount for p in invoice.prices) == 150_00


async def test_pay_on_an_order_over_the_maximum_sends_no_invoice(card_env, sencha, session):
    """An order placed before the maximum was lowered: Pay says why instead."""
    ann = card_env.user(1)
    await ann.send("/start")
    order = Order(
        user_id=await session.scalar(select(User.id).where(User.telegram_id == 1)),
        total=Decimal("450.00"),
        currency="RUB",
        payment_method=PaymentMethod.provider,
        contact_name="Ann",
        phone="+10000000000",
    )
    session.add(order)
    await session.commit()
    reply = await ann.click(OrderCb(id=order.id, action=OrderAction.pay))
    assert not reply.of(SendInvoice)
    assert reply.alert == (
        "The largest card payment is RUB 200.00, and this order comes to RUB 450.00."
    )


def _refuse_invoices(method):
    if isinstance(method, SendInvoice):
        return TelegramBadRequest(method=method, message="Bad Request: STARS_INVOICE_INVALID")
    return None


async def test_an_invoice_telegram_refuses_says_whom_to_ask(make_env, settings, sencha, session):
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=sencha.id))
    await to_summary(ann)
    env.api.hook = _refuse_invoices
    reply = await ann.press("Confirm")
    # The order stands (its stock held, the cart emptied); the customer is told to ask,
    # not to press Pay again.
    assert "Your order is placed" in reply.texts[0]
    assert REFUSED in reply.texts[-1] and "press “💳 Pay”" not in reply.text
    assert reply.has_button("Open the order")
    [order] = (await session.scalars(select(Order))).all()
    assert order.status is OrderStatus.new
    assert await session.scalar(select(func.count()).select_from(CartItem)) == 0
    # Pay from its card: the same answer, as an alert, not "something went wrong".
    reply = await ann.click(OrderCb(id=order.id, action=OrderAction.pay))
    assert (reply.alert or "").startswith(REFUSED)
    # Once Telegram takes it, Pay sends it.
    env.api.hook = None
    reply = await ann.click(OrderCb(id=order.id, action=OrderAction.pay))
    assert len(reply.of(SendInvoice)) == 1


async def test_in_russian(card_env, sencha, session):
    ann = card_env.user(1, language_code="ru")
    await ann.click(CartAddCb(product_id=sencha.id))
    await ann.click(CartAddCb(product_id=sencha.id))
    shown = (await to_summary(ann)).text
    assert "Максимальная сумма оплаты картой" in shown and "по частям" in shown
