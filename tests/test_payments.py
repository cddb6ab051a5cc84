from decimal import Decimal

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerPreCheckoutQuery, RefundStarPayment, SendInvoice, SendMessage
from pydantic import SecretStr
from sqlalchemy import select, update

from keyboards.callback_data import CartAddCb, OrderAction, OrderCb, OrderScope
from keyboards.callback_owner import RefundCb, RefundStep
from models import Order, OrderStatus, PaymentMethod, Product, Role
from services.orders import OrderService
from services.payments import invoice_amount
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user
from tests.test_checkout import to_summary


@pytest.mark.parametrize(
    ("total", "method", "currency", "rate", "amount"),
    [
        ("12.30", PaymentMethod.stars, "RUB", "1", 13),
        ("12.30", PaymentMethod.stars, "RUB", "1.5", 19),
        ("10", PaymentMethod.stars, "RUB", "2", 20),
        ("0.10", PaymentMethod.stars, "RUB", "1", 1),
        ("1299.50", PaymentMethod.provider, "RUB", "1", 129950),
        ("1299.50", PaymentMethod.provider, "JPY", "1", 1300),
    ],
)
def test_invoice_amounts(total, method, currency, rate, amount):
    assert invoice_amount(Decimal(total), method, currency, Decimal(rate)) == amount


async def fresh(session, model, id):
    stmt = select(model).where(model.id == id).execution_options(populate_existing=True)
    return await session.scalar(stmt)


@pytest.fixture
async def tea(session):
    category = await make_category(session)
    product = await make_product(session, category, name="Tea", price="12.30", stock=5)
    await session.commit()
    return product


@pytest.fixture
def stars_env(make_env, settings):
    return make_env(settings.model_copy(update={"payment_method": "stars"}))


async def order_by(user, tea):
    await user.click(CartAddCb(product_id=tea.id))
    await to_summary(user)
    return await user.press("Confirm")


async def test_a_stars_amount_is_written_in_groups(stars_env, session):
    """ "Payment: Telegram Stars (89980 ⭐)" beside "RUB 89,980.00": Stars are grouped too."""
    phone = await make_product(session, await make_category(session), name="Phone", price="89980")
    await session.commit()
    ann = stars_env.user(1)
    await ann.click(CartAddCb(product_id=phone.id))
    assert "Payment: Telegram Stars (89 980 ⭐)" in (await to_summary(ann)).text


async def test_stars_checkout_sends_an_xtr_invoice(stars_env, tea):
    ann = stars_env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    assert "Payment: Telegram Stars (13 ⭐)" in (await to_summary(ann)).text
    reply = await ann.press("Confirm")
    assert "Pay it with the invoice below" in reply.texts[0]
    [invoice] = reply.of(SendInvoice)
    assert (invoice.currency, invoice.payload, invoice.chat_id) == ("XTR", "order:1", 1)
    assert [p.amount for p in invoice.prices] == [13]
    assert not invoice.provider_token


async def test_provider_checkout_sends_an_invoice_in_minor_units(make_env, settings, tea):
    # In dollars: a card invoice of RUB 12.30 would be under Telegram's minimum (~US$1).
    token = SecretStr("284685063:TEST:abc")
    provider = settings.model_copy(
        update={"payment_method": "provider", "payment_provider_token": token, "currency": "USD"}
    )
    reply = await order_by(make_env(provider).user(1), tea)
    [invoice] = reply.of(SendInvoice)
    assert (invoice.currency, invoice.provider_token) == ("USD", "284685063:TEST:abc")
    assert [p.amount for p in invoice.prices] == [1230]


async def test_pre_checkout_says_yes_for_a_payable_order(stars_env, tea):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    reply = await ann.pre_checkout("order:1", 13)
    [answer] = reply.of(AnswerPreCheckoutQuery)
    assert answer.ok is True


async def test_pre_checkout_says_no_with_a_reason(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    cases = [
        (stars_env.user(2), "order:1", 13, "Order not found."),
        (ann, "order:1", 12, "This invoice is out of date: open the order and pay again."),
        (ann, "rubbish", 13, "Order not found."),
    ]
    for user, payload, amount, reason in cases:
        [answer] = (await user.pre_checkout(payload, amount)).of(AnswerPreCheckoutQuery)
        assert (answer.ok, answer.error_message) == (False, reason)
    await ann.click(OrderCb(id=1, action=OrderAction.cancel_yes))
    [answer] = (await ann.pre_checkout("order:1", 13)).of(AnswerPreCheckoutQuery)
    assert (answer.ok, answer.error_message) == (False, "This order is no longer awaiting payment.")


async def test_successful_payment_marks_paid_exactly_once(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    reply = await ann.pay("order:1", 13, charge_id="ch-1")
    assert "Order #1 is paid" in reply.text
    order = await fresh(session, Order, 1)
    assert order.status is OrderStatus.paid
    assert (order.telegram_payment_charge_id, order.paid_amount) == ("ch-1", 13)
    paid_at = order.paid_at
    # Telegram delivering the same update again changes nothing and says nothing.
    reply = await ann.pay("order:1", 13, charge_id="ch-1")
    assert reply.calls == []
    order = await fresh(session, Order, 1)
    assert (order.status, order.paid_at) == (OrderStatus.paid, paid_at)
    assert (await fresh(session, Product, tea.id)).stock == 4
    # Paid: no more Pay or Cancel for the customer.
    reply = await ann.click(OrderCb(id=1))
    assert "paid" in reply.text
    assert not reply.has_button("Pay") and not reply.has_button("Cancel the order")


async def test_payment_arrives_even_mid_dialog(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    reply = await ann.pay("order:1", 13, charge_id="ch-1")
    assert "Order #1 is paid" in reply.text
    assert (await fresh(session, Order, 1)).status is OrderStatus.paid


async def test_late_stars_payment_for_a_cancelled_order_is_refunded(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    await ann.click(OrderCb(id=1, action=OrderAction.cancel_yes))
    reply = await ann.pay("order:1", 13, charge_id="late-1")
    [refund] = reply.of(RefundStarPayment)
    assert (refund.user_id, refund.telegram_payment_charge_id) == (1, "late-1")
    assert "your Stars were returned" in reply.text
    order = await fresh(session, Order, 1)
    assert (order.status, order.telegram_payment_charge_id) == (OrderStatus.refunded, "late-1")
    # The stock came back once, when the order was cancelled.
    assert (await fresh(session, Product, tea.id)).stock == 5
    # A repeat of the late update is a duplicate: no second refund.
    assert (await ann.pay("order:1", 13, charge_id="late-1")).calls == []


async def test_late_payment_that_cannot_be_refunded_alerts_admins(stars_env, tea, session):
    await stars_env.user(ADMIN_ID).send("/start")
    ann = stars_env.user(1)
    await order_by(ann, tea)
    await ann.click(OrderCb(id=1, action=OrderAction.cancel_yes))

    def refuse(method):
        if isinstance(method, RefundStarPayment):
            return TelegramBadRequest(method=method, message="Bad Request: CHARGE_NOT_FOUND")
        return None

    stars_env.api.hook = refuse
    reply = await ann.pay("order:1", 13, charge_id="late-1")
    [told] = [c for c in reply.of(SendMessage) if c.chat_id == 1]
    assert "We will refund you" in told.text
    [alert] = [c for c in reply.of(SendMessage) if c.chat_id == ADMIN_ID]
    assert "order #1 needs a manual refund" in alert.text and "late-1" in alert.text
    order = await fresh(session, Order, 1)
    assert (order.status, order.telegram_payment_charge_id) == (OrderStatus.cancelled, "late-1")


async def paid_order(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    await ann.pay("order:1", 13, charge_id="ch-9")
    admin = stars_env.user(ADMIN_ID)
    await admin.send("/start")
    return ann, admin


async def test_a_second_charge_of_a_paid_order_delivered_twice_is_refunded_once(
    stars_env, tea, session
):
    """A late second charge of a paid order is refunded and the customer told; the same
    payment delivered again (Telegram answers CHARGE_ALREADY_REFUNDED) sends nothing:
    no second note, no false "manual refund" alert to the admins."""
    ann, _admin = await paid_order(stars_env, tea, session)
    stars_env.api.allow("CHARGE_ALREADY_REFUNDED")  # Telegram's answer to the repeat
    reply = await ann.pay("order:1", 13, charge_id="ch-2")
    assert reply.of(RefundStarPayment) and "your Stars were returned" in reply.text
    reply = await ann.pay("order:1", 13, charge_id="ch-2")
    assert [c for c in reply.calls if not isinstance(c, RefundStarPayment)] == []
    assert (await fresh(session, Order, 1)).status is OrderStatus.paid


async def test_admin_refunds_a_stars_payment_and_the_stock_returns(stars_env, tea, session):
    _ann, admin = await paid_order(stars_env, tea, session)
    reply = await admin.click(OrderCb(id=1, scope=OrderScope.all))
    reply = await admin.press("Refund")
    assert "Refund order #1" in reply.text
    reply = await admin.press("Whole order")
    assert "The Stars go back to the customer's Stars balance now." in reply.text
    reply = await admin.press("Yes, refund")
    [refund] = reply.of(RefundStarPayment)
    assert (refund.user_id, refund.telegram_payment_charge_id) == (1, "ch-9")
    assert reply.alert == "Order #1: RUB\xa012.30 refunded."
    [note] = [c for c in reply.of(SendMessage) if c.chat_id == 1]
    assert "RUB\xa012.30 refunded. 13 ⭐ are back on your Stars balance." in note.text
    assert (await fresh(session, Order, 1)).status is OrderStatus.refunded
    assert (await fresh(session, Product, tea.id)).stock == 5
    # Twice is not possible.
    reply = await admin.click(RefundCb(order=1, step=RefundStep.do, restock=True))
    assert reply.alert == "This order can't be refunded."
    assert not reply.of(RefundStarPayment)


async def test_a_refused_refund_changes_nothing(stars_env, tea, session):
    _ann, admin = await paid_order(stars_env, tea, session)

    def refuse(method):
        if isinstance(method, RefundStarPayment):
            return TelegramBadRequest(method=method, message="Bad Request: CHARGE_ALREADY_REFUNDED")
        return None

    stars_env.api.hook = refuse
    reply = await admin.click(RefundCb(order=1, step=RefundStep.do, restock=True))
    assert "Telegram refused the refund" in reply.alert
    assert (await fresh(session, Order, 1)).status is OrderStatus.paid
    assert (await fresh(session, Product, tea.id)).stock == 4


async def test_only_admins_refund(stars_env, tea, session):
    ann, _admin = await paid_order(stars_env, tea, session)
    seller = await make_user(session, 77, first_name="Sam")
    await session.commit()
    for user in (ann, stars_env.user(seller.telegram_id)):
        for data in (
            OrderCb(id=1, action=OrderAction.refund_yes),
            RefundCb(order=1, step=RefundStep.do, restock=True),
        ):
            reply = await user.click(data)
            assert reply.alert in ("Not allowed.", "Order not found.")
    reply = await ann.click(OrderCb(id=1))
    assert not reply.has_button("Refund")
    assert (await fresh(session, Order, 1)).status is OrderStatus.paid


async def test_pay_button_sends_the_invoice_again(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    reply = await ann.click(OrderCb(id=1))
    reply = await ann.press("Pay")
    [invoice] = reply.of(SendInvoice)
    assert invoice.payload == "order:1"


async def test_cash_orders_have_no_invoice_to_pay(env, tea, session):
    ann = env.user(1)
    await order_by(ann, tea)
    assert (await ann.click(OrderCb(id=1, action=OrderAction.pay))).alert == (
        "This order is paid on delivery."
    )
    reply = await env.user(ADMIN_ID).click(OrderCb(id=1, scope=OrderScope.all))
    assert not reply.has_button("Refund")


async def test_paysupport_takes_a_message_to_the_admins(env, session):
    """/paysupport asks for one message and hands it to every admin, with who wrote it
    (a link to their chat) and their id; a sticker or a blank is asked again, Cancel
    sends nothing."""
    await make_user(session, ADMIN_ID, Role.admin)
    await session.commit()
    ann = env.user(1, "Ann", username="ann_k")
    reply = await ann.send("/paysupport")
    assert "Payment support" in reply.text and "order number" in reply.text
    assert reply.has_button("Cancel")
    reply = await ann.send_sticker()
    assert "as text" in reply.text and reply.has_button("Cancel")
    reply = await ann.send("\u200b\u2060")  # shows nothing: nothing to pass on
    assert "as text" in reply.text and reply.has_button("Cancel")
    assert not [c for c in reply.of(SendMessage) if c.chat_id == ADMIN_ID]
    reply = await ann.send("/10 Order #1: I paid 13 Stars <b>and</b> it says cancelled")
    assert "Sent to the shop's admins" in reply.texts[0]
    [to_admin] = [c for c in reply.of(SendMessage) if c.chat_id == ADMIN_ID]
    assert 'href="tg://user?id=1"' in to_admin.text and "@ann_k" in to_admin.text
    assert "I paid 13 Stars &lt;b&gt;and&lt;/b&gt; it says cancelled" in to_admin.text
    reply = await ann.send("And another thing")  # one message per /paysupport
    assert not [c for c in reply.of(SendMessage) if c.chat_id == ADMIN_ID]
    await ann.send("/paysupport")
    reply = await ann.press("Cancel")
    assert not [c for c in reply.of(SendMessage) if c.chat_id == ADMIN_ID]


async def test_service_records_a_payment_once(session, tea):
    user = await make_user(session, 1)
    order = Order(
        user_id=user.id,
        total=Decimal("12.30"),
        currency="RUB",
        payment_method=PaymentMethod.stars,
        contact_name="Ann",
        phone="+79991234567",
    )
    session.add(order)
    await session.flush()
    service = OrderService(session)
    _o, first = await service.record_payment(order.id, "x-1", None, 13)
    _o, again = await service.record_payment(order.id, "x-1", None, 13)
    _o, other = await service.record_payment(order.id, "x-2", None, 13)
    assert [first.value, again.value, other.value] == ["paid", "duplicate", "late"]


async def test_sellers_hear_when_their_order_is_paid(stars_env, session):
    category = await make_category(session)
    sam = await make_user(session, 10, Role.seller, first_name="Sam", language="ru")
    cake = await make_product(session, category, name="Cake", price="5", seller=sam)
    await session.commit()
    ann = stars_env.user(1)
    reply = await order_by(ann, cake)
    assert [c.chat_id for c in reply.of(SendMessage)] == [10]
    reply = await ann.pay("order:1", 5, charge_id="ch-1")
    [note] = [c for c in reply.of(SendMessage) if c.chat_id == 10]
    assert "Заказ №1 оплачен" in note.text and "Cake" in note.text


async def test_pre_checkout_refuses_when_a_product_was_withdrawn(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    tea.is_active = False
    await session.commit()
    [answer] = (await ann.pre_checkout("order:1", 13)).of(AnswerPreCheckoutQuery)
    assert answer.ok is False and "no longer sold" in answer.error_message
    # A price change alone does not matter: the order keeps its price.
    tea.is_active, tea.price = True, Decimal("99")
    await session.commit()
    [answer] = (await ann.pre_checkout("order:1", 13)).of(AnswerPreCheckoutQuery)
    assert answer.ok is True


async def test_pre_checkout_refuses_when_the_products_category_was_hidden(stars_env, tea, session):
    """A hidden category hides its products (the cart marks them ⛔): not payable, and a
    late payment for it is not honoured either (its Stars go back)."""
    from aiogram.methods import RefundStarPayment

    from models import Category
    from tests.test_reservations import sweeper

    ann = stars_env.user(1)
    await order_by(ann, tea)
    category = await session.get(Category, tea.category_id)
    category.is_active = False
    await session.commit()
    [answer] = (await ann.pre_checkout("order:1", 13)).of(AnswerPreCheckoutQuery)
    assert answer.ok is False and "no longer sold" in answer.error_message
    await sweeper(stars_env, minutes=31).sweep(stars_env.bot)
    reply = await ann.pay("order:1", 13, charge_id="late-hidden")
    assert reply.of(RefundStarPayment) and (await fresh(session, Product, tea.id)).stock == 5


async def test_late_provider_payment_is_flagged_for_a_manual_refund(
    make_env, settings, tea, session
):
    token = SecretStr("284685063:TEST:abc")
    card = {"payment_method": "provider", "payment_provider_token": token, "currency": "USD"}
    env = make_env(settings.model_copy(update=card))
    await env.user(ADMIN_ID).send("/start")
    ann = env.user(1)
    await order_by(ann, tea)
    await ann.click(OrderCb(id=1, action=OrderAction.cancel_yes))
    reply = await ann.pay(
        "order:1", 1230, currency="USD", charge_id="tg-7", provider_charge_id="p-7"
    )
    assert not reply.of(RefundStarPayment)
    assert [c.chat_id for c in reply.of(SendMessage)] == [ADMIN_ID, 1]
    order = await fresh(session, Order, 1)
    assert order.status is OrderStatus.cancelled
    assert (order.telegram_payment_charge_id, order.provider_payment_charge_id) == ("tg-7", "p-7")


async def test_payments_get_through_the_flood_limit(make_env, settings, session, tea):
    env = make_env(
        settings.model_copy(
            update={"payment_method": "stars", "throttle_rate": 0.01, "throttle_burst": 7}
        )
    )
    ann = env.user(1)
    await order_by(ann, tea)  # uses up the burst
    assert (await ann.send("/help")).texts == ["Too many requests. Please wait a moment."]
    reply = await ann.pre_checkout("order:1", 13)
    [answer] = reply.of(AnswerPreCheckoutQuery)
    assert answer.ok
    await ann.pay("order:1", 13)
    assert (await fresh(session, Order, 1)).status is OrderStatus.paid


async def ban(session, telegram_id):
    from models import User

    await session.execute(
        update(User).where(User.telegram_id == telegram_id).values(is_banned=True)
    )
    await session.commit()


async def test_a_payment_from_a_customer_banned_meanwhile_is_recorded(stars_env, tea, session):
    admin = stars_env.user(ADMIN_ID)
    await admin.send("/start")
    ann = stars_env.user(1, "Ann")
    await order_by(ann, tea)
    assert (await ann.pre_checkout("order:1", 13)).of(AnswerPreCheckoutQuery)[0].ok
    await ban(session, 1)  # between pre-checkout and the money arriving
    reply = await ann.pay("order:1", 13, charge_id="ch-banned")
    [told] = [c for c in reply.of(SendMessage) if c.chat_id == 1]
    assert "Order #1 is paid" in told.text
    [alert] = [c for c in reply.of(SendMessage) if "who is banned" in c.text]
    assert alert.chat_id == ADMIN_ID and "Ann, who is banned, paid order #1" in alert.text
    assert "Open the order" in str(alert.reply_markup)
    order = await fresh(session, Order, 1)
    assert (order.status, order.telegram_payment_charge_id) == (OrderStatus.paid, "ch-banned")


async def test_a_banned_customer_is_told_why_they_cannot_pay(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    await ban(session, 1)
    for _ in range(2):  # every time, not only with the first notice
        [answer] = (await ann.pre_checkout("order:1", 13)).of(AnswerPreCheckoutQuery)
        assert (answer.ok, answer.error_message) == (False, "You are banned from this shop.")
    assert (await fresh(session, Order, 1)).status is OrderStatus.new


async def test_telegrams_refund_note_is_not_answered_as_gibberish(stars_env, tea, session):
    from aiogram.types import RefundedPayment

    ann = stars_env.user(1)
    await order_by(ann, tea)
    await ann.pay("order:1", 13, charge_id="ch-r")
    note = RefundedPayment(
        currency="XTR",
        total_amount=13,
        invoice_payload="order:1",
        telegram_payment_charge_id="ch-r",
    )
    assert (await ann.send_message(refunded_payment=note)).calls == []
    await ban(session, 1)
    assert (await ann.send_message(refunded_payment=note)).calls == []
