"""A promo code that leaves nothing, or too little, to pay: the order a code covers in full
is placed as paid with no invoice (for every payment method), and a card payment under
the smallest one Telegram takes is refused on the summary, before any order or invoice,
with a way on (without the code, or back to the cart). Telegram refuses a card invoice
under its `min_amount` for the currency (about US$1: here RUB 100), so the fake Bot API
must never see one."""

from decimal import Decimal

import pytest
from aiogram.methods import SendInvoice, SendMessage
from pydantic import SecretStr
from sqlalchemy import func, select

from keyboards.callback_data import (
    CartAction,
    CartAddCb,
    CartCb,
    OrderAction,
    OrderCb,
    OrderScope,
)
from models import (
    CartItem,
    Order,
    OrderStatus,
    PaymentMethod,
    Product,
    PromoCode,
    PromoKind,
    Role,
    User,
)
from services.payments import STARS
from tests.factories import make_category, make_product, make_user
from tests.test_checkout import to_summary

SELLER_ID = 700
SMALLEST_RUB = 100_00  # kopecks: the built-in RUB minimum (services.payments)


@pytest.fixture
async def sencha(session):
    seller = await make_user(session, SELLER_ID, role=Role.seller, first_name="Sam")
    teas = await make_category(session, "Teas")
    product = await make_product(session, teas, "Sencha", price="150.00", stock=5, seller=seller)
    session.add(PromoCode(code="GIFT150", kind=PromoKind.fixed, value=Decimal("150")))
    session.add(PromoCode(code="SAVE145", kind=PromoKind.fixed, value=Decimal("145")))
    await session.commit()
    return product


def _paying(make_env, settings, method: str, **extra):
    update: dict = {"payment_method": method, **extra}
    if method == "provider":
        update["payment_provider_token"] = SecretStr("284685063:TEST:abc")
    env = make_env(settings.model_copy(update=update))
    yield env
    # What Telegram would refuse with 400 (CURRENCY_TOTAL_AMOUNT_INVALID) never went out.
    for call in env.api.requests:
        if isinstance(call, SendInvoice):
            total = sum(p.amount for p in call.prices)
            assert total >= (1 if call.currency == STARS else SMALLEST_RUB), call


@pytest.fixture
def card_env(make_env, settings):
    yield from _paying(make_env, settings, "provider")


async def _cart(user, product, code: str | None):
    await user.click(CartAddCb(product_id=product.id))
    await user.send("/cart")
    if code is not None:
        await user.click(CartCb(action=CartAction.promo))
        await user.send(code)


async def _fresh(session, model, id_):
    stmt = select(model).where(model.id == id_).execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def _orders(session) -> int:
    return await session.scalar(select(func.count()).select_from(Order))


@pytest.mark.parametrize("method", ["provider", "stars", "cod"])
async def test_an_order_the_code_covers_is_paid_without_an_invoice(
    make_env, settings, sencha, session, method
):
    for env in _paying(make_env, settings, method):
        ann = env.user(1)
        await _cart(ann, sencha, "GIFT150")
        summary = await to_summary(ann)
        assert "Payment: nothing to pay, the promo code covers it all" in summary.text
        assert "⭐" not in summary.text  # no "1 ⭐" for a free Stars order
        reply = await ann.press("Confirm")
        assert not reply.of(SendInvoice)
        assert "the promo code GIFT150 covers all of it: there is nothing to pay" in reply.texts[0]
        order = await _fresh(session, Order, 1)
        assert (order.status, order.total, order.discount) == (
            OrderStatus.paid,
            Decimal("0.00"),
            Decimal("150.00"),
        )
        assert order.paid_amount == 0 and order.paid_at is not None
        # As a paid order: the unit is taken, the code's use counted, the seller told
        # it can be shipped (once: no "new order" notice before it).
        assert (await _fresh(session, Product, sencha.id)).stock == 4
        assert await session.scalar(select(PromoCode.used).where(PromoCode.code == "GIFT150")) == 1
        to_seller = [c.text for c in reply.of(SendMessage) if c.chat_id == SELLER_ID]
        assert len(to_seller) == 1 and "Order #1 is paid: it can be shipped." in to_seller[0]
        card = await ann.click(OrderCb(id=1, action=OrderAction.view))
        assert not card.has_button("Pay") and not card.has_button("Cancel the order")


async def test_too_little_to_pay_by_card_is_said_before_any_order(card_env, sencha, session):
    ann = card_env.user(1)
    await _cart(ann, sencha, "SAVE145")
    shown = (await to_summary(ann)).text
    assert (
        "The smallest card payment is RUB\xa0100.00, and this order comes to RUB\xa05.00." in shown
    )
    assert "order without the promo code SAVE145" in shown
    assert not ann.last_bot_message.reply_markup or "Confirm" not in " ".join(ann.shown_buttons)
    assert {"Remove the code SAVE145", "Back to the cart", "Cancel"} <= {
        b.split(" ", 1)[1] for b in ann.shown_buttons
    }
    assert await _orders(session) == 0
    # A word typed there: that screen's own buttons again (it has no Confirm to press).
    reply = await ann.send("yes")
    assert reply.texts == ["Please use the buttons."]
    assert reply.has_button("Remove the code SAVE145") and not reply.has_button("Confirm")
    # Back to the cart: the line and the code are still there.
    cart = await ann.press("Back to the cart")
    assert "Sencha" in cart.text and cart.has_button("Remove the code SAVE145")
    # Or without the code: the same summary at the full price, and it can be ordered.
    await to_summary(ann)
    reply = await ann.press("Remove the code SAVE145")
    assert reply.alert == "The promo code is removed from the cart."
    assert "Check your order" in ann.shown_text and "SAVE145" not in ann.shown_text
    [invoice] = (await ann.press("Confirm")).of(SendInvoice)
    assert sum(p.amount for p in invoice.prices) == 150_00
    assert (await _fresh(session, Order, 1)).total == Decimal("150.00")


async def test_the_smallest_card_payment_is_a_setting(make_env, settings, sencha, session):
    for env in _paying(make_env, settings, "provider", provider_min_amount=Decimal("200")):
        ann = env.user(1)
        await _cart(ann, sencha, None)
        shown = (await to_summary(ann)).text
        assert (
            "The smallest card payment is RUB\xa0200.00, and this order comes to RUB\xa0150.00."
            in shown
        )
        assert "Add something to the cart to reach it." in shown
        assert await _orders(session) == 0
        assert await session.scalar(select(func.count()).select_from(CartItem)) == 1


async def test_in_russian(card_env, sencha, session):
    ann = card_env.user(1, language_code="ru")
    await _cart(ann, sencha, "SAVE145")
    shown = (await to_summary(ann)).text
    assert "Минимальная сумма оплаты картой" in shown and "без промокода SAVE145" in shown
    assert "Вернуться в корзину" in " ".join(ann.shown_buttons)


async def test_pay_on_an_old_order_under_the_minimum_sends_no_invoice(card_env, sencha, session):
    """An order placed before this rule (a code left one kopeck): Pay says why instead."""
    ann = card_env.user(1)
    await ann.send("/start")
    user_id = await session.scalar(select(User.id).where(User.telegram_id == 1))
    order = Order(
        user_id=user_id,
        total=Decimal("0.01"),
        discount=Decimal("149.99"),
        promo_code="OLD",
        currency="RUB",
        payment_method=PaymentMethod.provider,
        contact_name="Ann",
        phone="+10000000000",
    )
    session.add(order)
    await session.commit()
    reply = await ann.click(OrderCb(id=order.id, action=OrderAction.pay))
    assert not reply.of(SendInvoice)
    assert "The smallest card payment is RUB 100.00" in (reply.alert or "")


async def test_a_free_order_can_be_taken_back_by_an_admin(make_env, settings, sencha, session):
    """Nothing was charged, so there is no payment to refund; the shop still needs a way
    to take such an order back (the customer changed their mind): its refund of nothing."""
    from aiogram.methods import RefundStarPayment

    from keyboards.callback_owner import RefundCb
    from tests.conftest import ADMIN_ID

    for env in _paying(make_env, settings, "stars"):
        ann = env.user(1)
        await _cart(ann, sencha, "GIFT150")
        await to_summary(ann)
        await ann.press("Confirm")
        admin = env.user(ADMIN_ID)
        await admin.send("/start")
        card = await admin.click(OrderCb(id=1, action=OrderAction.view, scope=OrderScope.all))
        assert card.has_button("Refund")
        reply = await admin.click(RefundCb(order=1))
        reply = await admin.press("Whole order")
        assert "Nothing was paid for this order (a promo code covered it)" in reply.text
        reply = await admin.press("Yes, refund")
        assert not reply.of(RefundStarPayment)  # there is no charge to return
        order = await _fresh(session, Order, 1)
        assert order.status is OrderStatus.refunded
        assert (await _fresh(session, Product, sencha.id)).stock == 5  # back on sale
        [told] = [c.text for c in reply.of(SendMessage) if c.chat_id == 1]
        assert "the shop took the order back. Nothing was charged for it." in told
