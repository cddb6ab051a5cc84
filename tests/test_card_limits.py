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
from aiogram.methods import AnswerPreCheckoutQuery, SendInvoice
from pydantic import SecretStr, ValidationError
from sqlalchemy import func, select

from bot.config import Settings
from keyboards.callback_data import (
    CartAction,
    CartAddCb,
    CartCb,
    CheckoutAction,
    CheckoutCb,
    OrderAction,
    OrderCb,
)
from models import CartItem, Order, OrderStatus, PaymentMethod, PromoCode, PromoKind, User
from services.payments import AboveMaximum, check_chargeable, provider_maximum
from tests.factories import make_category, make_product
from tests.test_checkout import to_summary
from tests.tg import TOKEN

REFUSED = "Telegram didn't accept the invoice for this order. Write to us with /paysupport"


@pytest.fixture
def card_env(make_env, settings):
    """Card payments from RUB 100 (built in) to RUB 200."""
    token = SecretStr("284685063:TEST:abc")
    update = {"payment_method": "provider", "payment_provider_token": token}
    return make_env(settings.model_copy(update={**update, "provider_max_amount": Decimal(200)}))


async def _with_code(session, user, code: str, value: str, **terms):
    session.add(PromoCode(code=code, kind=PromoKind.fixed, value=Decimal(value), **terms))
    await session.commit()
    await user.send("/cart")
    await user.click(CartCb(action=CartAction.promo))
    await user.send(code)


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
    for _ in range(3):
        await ann.click(CartAddCb(product_id=sencha.id))
    await _with_code(session, ann, "TEN", "10")  # 450 - 10: removing it wouldn't help
    shown = (await to_summary(ann)).text
    assert (
        "The largest card payment is RUB\xa0200.00, and this order comes to RUB\xa0440.00." in shown
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
    assert not reply.has_button("Remove the code TEN")
    # Fewer: it can be ordered, the answers given kept, and its invoice goes out.
    await ann.press("Back to the cart")
    await ann.press("➖")
    await ann.press("➖")
    reply = await ann.click(CartCb(action=CartAction.checkout))
    assert "Now: Ann Smith" in reply.text and reply.has_button("Keep")
    await ann.press("Keep")
    await ann.send("✅ Keep")  # the phone's step has a reply keyboard
    await ann.press("Keep")
    reply = await ann.press("Keep")
    assert "Check your order" in reply.text and "Ring twice" in reply.text
    [invoice] = (await ann.press("Confirm")).of(SendInvoice)
    assert sum(p.amount for p in invoice.prices) == 140_00


async def test_removing_the_code_is_offered_only_when_it_helps(card_env, sencha, session):
    """RUB 300 less a code of 250: too little, and without the code too much. Removing
    the code isn't offered; adding to the cart is the advice."""
    ann = card_env.user(1)
    await ann.click(CartAddCb(product_id=sencha.id))
    await ann.click(CartAddCb(product_id=sencha.id))
    await _with_code(session, ann, "BIG", "250")
    shown = (await to_summary(ann)).text
    assert "The smallest card payment is RUB\xa0100.00" in shown
    assert "Add something to the cart to reach it." in shown and "BIG" not in shown
    assert not any("Remove the code" in b for b in ann.shown_buttons)


async def test_a_change_meanwhile_that_leaves_too_much_says_so_once(card_env, sencha, session):
    """The code taken off from another message while the summary is open: Confirm shows
    the limit instead of an order, without an alert to 'confirm again'."""
    ann = card_env.user(1)
    await ann.click(CartAddCb(product_id=sencha.id))
    await ann.click(CartAddCb(product_id=sencha.id))
    await _with_code(session, ann, "SIXTY", "60")  # 300 - 60 = 240: over 200
    await _with_code(session, ann, "HUNDRED", "100")  # replaces it: 200
    summary = await to_summary(ann)
    assert "Check your order" in summary.text
    await ann.click(CartCb(action=CartAction.promo_off))
    reply = await ann.click(CheckoutCb(action=CheckoutAction.confirm, dialog=_dialog(summary)))
    assert not reply.alert
    assert "The largest card payment is RUB\xa0200.00" in ann.shown_text
    assert await _orders(session) == 0


def _dialog(summary) -> int:
    """The dialog number the summary's Confirm carries."""
    [confirm] = [b for row in summary.markup.inline_keyboard for b in row if "Confirm" in b.text]
    return CheckoutCb.unpack(confirm.callback_data).dialog


async def test_a_code_lost_at_payment_over_the_maximum_asks_to_cancel(card_env, sencha, session):
    """The code ran out between the invoice and the payment: at full price the order is
    over the largest card payment, so no invoice is promised or sent."""
    ann = card_env.user(1)
    await ann.click(CartAddCb(product_id=sencha.id))
    await ann.click(CartAddCb(product_id=sencha.id))
    await _with_code(session, ann, "LAST", "120", total_uses=1)  # 300 - 120 = 180
    await to_summary(ann)
    assert len((await ann.press("Confirm")).of(SendInvoice)) == 1
    await session.execute(PromoCode.__table__.update().values(used=1))
    await session.commit()
    reply = await ann.pre_checkout("order:1", 180_00, "RUB")
    assert reply.of(AnswerPreCheckoutQuery)[0].ok is False
    assert not reply.of(SendInvoice)
    [notice] = [t for t in reply.texts if "not applied" in t]
    assert "The largest card payment is RUB\xa0200.00, and this order comes to RUB\xa0300.00." in (
        notice
    )
    assert "Cancel the order from its card" in notice and "new invoice" not in notice
    assert reply.has_button("Open the order")


def test_card_limits_are_checked_at_start():
    base = {"_env_file": None, "bot_token": TOKEN, "payment_method": "provider"}
    base["payment_provider_token"] = "284685063:TEST:abc"
    with pytest.raises(ValidationError, match=r"largest card payment \(10000.00, built in for"):
        Settings(**base, currency="USD", provider_min_amount=Decimal(20000))
    with pytest.raises(ValidationError, match=r"PROVIDER_MAX_AMOUNT=1000.5: JPY amounts have 0"):
        Settings(**base, currency="JPY", provider_max_amount=Decimal("1000.5"))
    # Without card payments they don't matter.
    Settings(**{**base, "payment_method": "cod"}, currency="RUB", provider_max_amount=Decimal(5))


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
    assert REFUSED in reply.texts[-1] and not any("press “💳 Pay”" in t for t in reply.texts)
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


async def test_a_code_entered_from_the_limit_screen_keeps_the_answers(card_env, sencha, session):
    """Over the largest card payment, the obvious way under it is a promo code: entering
    one (a dialog of its own) used to drop the name, phone, address and comment."""
    session.add(PromoCode(code="HUND", kind=PromoKind.fixed, value=Decimal(100)))
    await session.commit()
    ann = card_env.user(1)
    await ann.click(CartAddCb(product_id=sencha.id))
    await ann.click(CartAddCb(product_id=sencha.id))
    assert "The largest card payment is RUB\xa0200.00" in (await to_summary(ann)).text
    await ann.press("Back to the cart")
    await ann.press("Promo code")
    assert "RUB\xa0200.00" in (await ann.send("HUND")).text
    reply = await ann.press("Checkout")
    assert "Now: Ann Smith" in reply.text and reply.has_button("Keep")
