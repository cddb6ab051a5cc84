"""A payment that arrives after its order was cancelled, and stays the shop's (Telegram
couldn't return the Stars at once, or a card payment, which only the shop returns): the
order card says so, and an admin refunds it from there, through Telegram for Stars,
recorded for a card; the order is then *refunded* in the books. No goods move: they
went back on sale at the cancel."""

from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import AnswerPreCheckoutQuery, RefundStarPayment
from pydantic import SecretStr
from sqlalchemy import select

from keyboards.callback_data import CartAddCb, OrderAction, OrderCb, OrderScope
from keyboards.callback_owner import BooksAction, BooksCb
from models import Order, OrderStatus, Product, Refund, Role
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user
from tests.test_books import received_csv
from tests.test_checkout import to_summary
from tests.test_orders import fresh, sent_to


async def cancelled_mid_payment(env, session, amount: int, currency: str):
    """Ann confirms, the bot says yes at pre-checkout (the money is moving), then she
    cancels before the payment arrives. The tea (stock 5) is back to 5."""
    await make_user(session, ADMIN_ID, Role.admin)
    tea = await make_product(session, await make_category(session), "Tea", price="20", stock=5)
    await session.commit()
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    await ann.press("Confirm")
    assert (await ann.pre_checkout("order:1", amount, currency)).of(AnswerPreCheckoutQuery)[0].ok
    await ann.click(OrderCb(id=1, action=OrderAction.cancel_yes))
    return ann, tea


async def test_stars_kept_when_telegram_failed_are_refunded_from_the_card(
    make_env, settings, session
):
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann, tea = await cancelled_mid_payment(env, session, 20, "XTR")

    def unreachable(method):
        if isinstance(method, RefundStarPayment):
            return TelegramNetworkError(method=method, message="timed out")
        return None

    env.api.hook = unreachable
    await ann.pay("order:1", 20, charge_id="ch-1")
    env.api.hook = None
    order = await fresh(session, Order, 1)
    assert (order.status, order.telegram_payment_charge_id) == (OrderStatus.cancelled, "ch-1")
    admin = env.user(ADMIN_ID)
    card = await admin.click(OrderCb(id=1, scope=OrderScope.all))
    assert "Paid after it was cancelled: the payment goes back (↩️ Refund)." in card.text
    await admin.press("Refund")
    reply = await admin.press("Whole order")
    assert "Refund RUB\xa020.00 for the whole order #1?" in reply.text
    assert "went back on sale then" in reply.text and "Did the goods" not in reply.text
    reply = await admin.press("Yes, refund")
    [stars] = reply.of(RefundStarPayment)
    assert stars.telegram_payment_charge_id == "ch-1"
    assert (await fresh(session, Order, 1)).status is OrderStatus.refunded
    assert (await fresh(session, Product, tea.id)).stock == 5  # no goods moved
    [note] = sent_to(reply, 1)
    assert "RUB\xa020.00 refunded. 20 ⭐ are back on your Stars balance." in note.text
    card = await admin.click(OrderCb(id=1, scope=OrderScope.all))
    assert "Paid after it was cancelled" not in card.text and not card.has_button("Refund")


async def test_a_card_payment_after_the_cancel_is_recorded_as_refunded(make_env, settings, session):
    update = {
        "payment_method": "provider",
        "currency": "USD",
        "payment_provider_token": SecretStr("284685063:TEST:abc"),
    }
    env = make_env(settings.model_copy(update=update))
    ann, tea = await cancelled_mid_payment(env, session, 2000, "USD")
    await ann.pay("order:1", 2000, "USD", charge_id="ch-1", provider_charge_id="p-1")
    admin = env.user(ADMIN_ID)
    card = await admin.click(OrderCb(id=1, scope=OrderScope.all))
    assert card.has_button("Refund")
    # Returned in the provider's dashboard, as the admins were told: recorded here.
    await admin.press("Refund")
    reply = await admin.press("Whole order")
    assert "Return the money in your payment provider's dashboard" in reply.text
    await admin.press("Yes, refund")
    assert (await fresh(session, Order, 1)).status is OrderStatus.refunded
    assert (await fresh(session, Product, tea.id)).stock == 5
    [refund] = await session.scalars(select(Refund))
    assert (str(refund.amount), refund.via, refund.restocked) == ("20.00", "manual", False)
    await admin.click(BooksCb(action=BooksAction.export))
    _data, (header, *lines), _caption = received_csv(env, ADMIN_ID)
    row = dict(zip(header, lines[0], strict=True))
    assert (row["status"], row["refunded"]) == ("refunded", "20.00")
    # What Telegram charged, in the units it says (cents here), named as such.
    assert (row["order_total"], row["paid_minor_units"], row["paid_currency"]) == (
        "20.00",
        "2000",
        "USD",
    )
