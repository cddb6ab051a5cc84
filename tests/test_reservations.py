"""Reservations as a customer lives them: an unpaid order holds its items for a while,
then it is cancelled, the items go back on sale, and the customer can order again. The
sweep's clock is a test's: time moves without waiting."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiogram.methods import AnswerPreCheckoutQuery, RefundStarPayment, SendMessage
from sqlalchemy import select, update

from jobs.reservations import ReservationSweeper
from keyboards.callback_data import OrderAction, OrderCb, OrderScope
from models import CartItem, Order, OrderStatus, Product, Refund
from tests.conftest import ADMIN_ID
from tests.test_payments import fresh, order_by


def later(**delta) -> ReservationSweeper:
    """A sweeper whose clock says it is now + delta."""
    return lambda: datetime.now(UTC) + timedelta(**delta)


def sweeper(env, **delta) -> ReservationSweeper:
    return ReservationSweeper(env.dp["reservations"].pool, env.dp["i18n"], clock=later(**delta))


@pytest.fixture
async def tea(session):
    from tests.factories import make_category, make_product

    category = await make_category(session)
    product = await make_product(session, category, name="Tea", price="12.30", stock=5)
    await session.commit()
    return product


@pytest.fixture
def stars_env(make_env, settings):
    return make_env(settings.model_copy(update={"payment_method": "stars"}))


async def test_an_unpaid_order_is_cancelled_after_the_reservation_and_can_be_ordered_again(
    stars_env, tea, session
):
    ann = stars_env.user(1)
    placed = await order_by(ann, tea)
    assert "Items reserved until" in placed.texts[0]  # "Order placed" says until when
    assert (await fresh(session, Product, tea.id)).stock == 4
    card = await ann.click(OrderCb(id=1))
    assert "Items reserved until" in card.text
    # 29 minutes on: still held.
    assert await sweeper(stars_env, minutes=29).sweep(stars_env.bot) == []
    assert (await fresh(session, Order, 1)).status is OrderStatus.new
    # 31 minutes on: cancelled, the unit is back on sale, Ann is told.
    sent = len(stars_env.api.requests)
    assert await sweeper(stars_env, minutes=31).sweep(stars_env.bot) == [1]
    order = await fresh(session, Order, 1)
    assert (order.status, order.cancel_reason) == (OrderStatus.cancelled, "expired")
    assert (await fresh(session, Product, tea.id)).stock == 5
    [notice] = [c for c in stars_env.api.requests[sent:] if isinstance(c, SendMessage)]
    assert notice.chat_id == 1 and "Order #1 was not paid in time" in notice.text
    # The card says why; "Order again" puts the tea back in the cart and shows it.
    card = await ann.click(OrderCb(id=1))
    assert "Cancelled: not paid in time" in card.text and not card.has_button("Pay")
    reply = await ann.press("Order again")
    assert "Tea" in reply.text and reply.has_button("Checkout")
    assert reply.alert == "Added to your cart. Check it and check out."
    item = await session.scalar(select(CartItem).where(CartItem.product_id == tea.id))
    assert item.quantity == 1
    # A second pass finds nothing to do.
    assert await sweeper(stars_env, minutes=60).sweep(stars_env.bot) == []


async def test_order_again_names_what_is_gone(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    await sweeper(stars_env, minutes=31).sweep(stars_env.bot)
    await session.execute(update(Product).values(stock=0))
    await session.commit()
    reply = await ann.click(OrderCb(id=1, action=OrderAction.reorder))
    assert reply.alert == "None of these items can be ordered now."
    # Someone else's order can't be copied by a forged button.
    reply = await stars_env.user(2).click(OrderCb(id=1, action=OrderAction.reorder))
    assert reply.alert == "Order not found."
    assert await session.scalar(select(CartItem.id)) is None


async def test_order_again_into_a_full_cart_says_it_is_full(stars_env, tea, session):
    """The tea is on sale, but the cart holds its 20 products already: the answer says
    the cart is full, not that the items can't be ordered."""
    from services.cart import MAX_LINES
    from tests.factories import make_category, make_product

    ann = stars_env.user(1)
    await order_by(ann, tea)
    await sweeper(stars_env, minutes=31).sweep(stars_env.bot)
    shelf = await make_category(session)
    user_id = await session.scalar(select(Order.user_id))
    for n in range(MAX_LINES):
        other = await make_product(session, shelf, name=f"Cup {n}", stock=5)
        session.add(CartItem(user_id=user_id, product_id=other.id, quantity=1, price=1))
    await session.commit()
    reply = await ann.click(OrderCb(id=1, action=OrderAction.reorder))
    assert reply.alert == "Your cart is full: check out or remove something first."


async def test_two_sweepers_at_once_cancel_an_order_once(make_env, settings, tea, session):
    """Two bot processes (two dispatchers on one database) sweep at the same moment."""
    stars = settings.model_copy(update={"payment_method": "stars"})
    one, two = make_env(stars), make_env(stars)
    await order_by(one.user(1), tea)
    await order_by(one.user(2), tea)
    assert (await fresh(session, Product, tea.id)).stock == 3
    first, second = await asyncio.gather(
        sweeper(one, minutes=31).sweep(one.bot), sweeper(two, minutes=31).sweep(two.bot)
    )
    assert sorted(first + second) == [1, 2]
    assert (await fresh(session, Product, tea.id)).stock == 5
    notices = [c for api in (one.api, two.api) for c in api.requests if isinstance(c, SendMessage)]
    assert sorted(n.chat_id for n in notices if "not paid in time" in n.text) == [1, 2]


async def test_pre_checkout_of_an_expired_order_says_why(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    # The hold ran out a minute ago and the sweep has not come by yet.
    past = datetime.now(UTC) - timedelta(minutes=1)
    await session.execute(update(Order).values(expires_at=past))
    await session.commit()
    [answer] = (await ann.pre_checkout("order:1", 13)).of(AnswerPreCheckoutQuery)
    assert answer.ok is False and "not paid in time" in answer.error_message
    await sweeper(stars_env).sweep(stars_env.bot)
    [answer] = (await ann.pre_checkout("order:1", 13)).of(AnswerPreCheckoutQuery)
    assert answer.ok is False and "Order again" in answer.error_message


async def test_a_late_payment_is_honoured_while_the_items_are_there(stars_env, tea, session):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    await sweeper(stars_env, minutes=31).sweep(stars_env.bot)
    reply = await ann.pay("order:1", 13, charge_id="late-ok")
    assert not reply.of(RefundStarPayment)
    assert "its items were still there: the order is paid" in reply.texts[0]
    order = await fresh(session, Order, 1)
    assert (order.status, order.telegram_payment_charge_id) == (OrderStatus.paid, "late-ok")
    assert order.cancel_reason is None
    assert (await fresh(session, Product, tea.id)).stock == 4  # taken again


async def test_a_late_payment_is_refunded_when_the_items_are_gone(stars_env, tea, session):
    ann, bob = stars_env.user(1), stars_env.user(2)
    await session.execute(update(Product).values(stock=1))
    await session.commit()
    await order_by(ann, tea)
    await sweeper(stars_env, minutes=31).sweep(stars_env.bot)
    await order_by(bob, tea)  # Bob takes the last unit meanwhile
    reply = await ann.pay("order:1", 13, charge_id="late-no")
    [refund] = reply.of(RefundStarPayment)
    assert (refund.user_id, refund.telegram_payment_charge_id) == (1, "late-no")
    assert "(sold or taken off sale), so your Stars were returned" in reply.text
    order = await fresh(session, Order, 1)
    assert order.status is OrderStatus.refunded
    assert (await fresh(session, Product, tea.id)).stock == 0  # Bob's unit stays Bob's
    [refund] = await session.scalars(select(Refund))  # in the books, not only in the chat
    assert (refund.order_id, refund.via) == (1, "telegram")


async def test_cash_on_delivery_waits_for_the_sellers_confirmation(env, tea, session):
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    ann, bob = env.user(1), env.user(2)
    await order_by(ann, tea)
    await order_by(bob, tea)
    # The shop's own goods (no seller): its admins confirm Bob's order by shipping it.
    await admin.click(OrderCb(id=2, action=OrderAction.status, to="shipped", scope=OrderScope.all))
    assert await sweeper(env, hours=47).sweep(env.bot) == []
    sent = len(env.api.requests)
    assert await sweeper(env, hours=49).sweep(env.bot) == [1]
    told = {c.chat_id: c.text for c in env.api.requests[sent:] if isinstance(c, SendMessage)}
    assert "The shop did not confirm order #1 in time" in told[1]
    assert "Order #1 was not confirmed in time" in told[ADMIN_ID]
    assert (await fresh(session, Order, 2)).status is OrderStatus.shipped
    assert (await fresh(session, Product, tea.id)).stock == 4


async def test_holds_can_be_turned_off(make_env, settings, tea, session):
    env = make_env(settings.model_copy(update={"cod_confirm_hours": 0}))
    await order_by(env.user(1), tea)
    assert (await fresh(session, Order, 1)).expires_at is None
    assert await sweeper(env, days=30).sweep(env.bot) == []


async def test_the_sweep_runs_in_the_background_until_stopped(stars_env, tea, session):
    await order_by(stars_env.user(1), tea)
    job = ReservationSweeper(
        stars_env.dp["reservations"].pool,
        stars_env.dp["i18n"],
        clock=later(minutes=31),
        interval=3600,
    )
    job.start(stars_env.bot)
    for _ in range(200):  # until the first pass is done (no timing involved)
        await asyncio.sleep(0)
        if (await fresh(session, Order, 1)).status is OrderStatus.cancelled:
            break
    await job.stop()
    assert (await fresh(session, Order, 1)).status is OrderStatus.cancelled
    assert job.task.done()


async def test_a_late_card_payment_without_stock_goes_to_the_admins(
    make_env, settings, tea, session
):
    from pydantic import SecretStr

    provider = settings.model_copy(
        update={
            "payment_method": "provider",
            "payment_provider_token": SecretStr("1:TEST:x"),
            "currency": "USD",  # USD 12.30: over the smallest card payment
        }
    )
    env = make_env(provider)
    await env.user(ADMIN_ID).send("/start")
    ann = env.user(1)
    await order_by(ann, tea)
    await sweeper(env, minutes=31).sweep(env.bot)
    await session.execute(update(Product).values(stock=0))
    await session.commit()
    reply = await ann.pay(
        "order:1", 1230, currency="USD", charge_id="tg-9", provider_charge_id="p-9"
    )
    assert not reply.of(RefundStarPayment)
    told = {c.chat_id: c.text for c in reply.of(SendMessage)}
    assert "can't be ordered now (sold or taken off sale). The shop will refund you" in told[1]
    assert "order #1 needs a manual refund" in told[ADMIN_ID]
    order = await fresh(session, Order, 1)
    assert (order.status, order.provider_payment_charge_id) == (OrderStatus.cancelled, "p-9")


async def test_an_expired_order_giving_the_last_unit_back_tells_who_waits_for_it(
    stars_env, tea, session
):
    from keyboards.callback_data import CardToggle, CardToggleCb

    await session.execute(update(Product).where(Product.id == tea.id).values(stock=1))
    await session.commit()
    await order_by(stars_env.user(1), tea)  # Ann holds the last unit, unpaid
    assert (await fresh(session, Product, tea.id)).stock == 0
    bob = stars_env.user(2)
    await bob.click(CardToggleCb(id=tea.id, what=CardToggle.alert, on=True))
    assert await sweeper(stars_env, minutes=31).sweep(stars_env.bot) == [1]
    assert (await fresh(session, Product, tea.id)).stock == 1
    assert await stars_env.dp["restock"].drain(stars_env.bot) == 1
    [alert] = [
        r
        for r in stars_env.api.requests
        if isinstance(r, SendMessage) and r.chat_id == 2 and "is back in stock" in r.text
    ]
    assert "Tea" in alert.text
