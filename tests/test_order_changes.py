"""What an order's change tells the people it concerns, and what an out-of-date screen may
still do: sellers hear that a cash-on-delivery order was cancelled and which of their
lines were refunded; a refund asked before shipping is asked again after it; the refund
screens lead back to the list (its filter and page) the admin came from."""

from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import func, select, update

from keyboards.callback_data import CartAddCb, OrderAction, OrderCb, OrdersCb, OrderScope
from keyboards.callback_owner import RefundCb
from models import Order, OrderStatus, PaymentMethod, Product, Refund, User
from services.refunds import RefundService
from tests.conftest import ADMIN_ID
from tests.test_checkout import to_summary
from tests.test_orders import fresh, place, sent_to, world
from tests.test_payments import order_by
from tests.test_reservations import sweeper


async def set_status(session, order, status: OrderStatus) -> None:
    await session.execute(update(Order).where(Order.id == order.id).values(status=status))
    await session.commit()


async def staff_cancel(env, order_id: int, hook=None):
    """An admin cancels the order from its card (`hook`: Telegram's answers meanwhile)."""
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(OrderCb(id=order_id, scope=OrderScope.all))
    await admin.press("Cancel the order")
    env.api.hook = hook
    return await admin.press("Yes, cancel it")


async def paid(session, customer, lines) -> Order:
    """An order paid through a payment provider (refunded by hand: no Telegram call)."""
    order = await place(session, customer, lines, PaymentMethod.provider)
    charge = {"status": OrderStatus.paid, "telegram_payment_charge_id": f"charge-{order.id}"}
    await session.execute(update(Order).where(Order.id == order.id).values(**charge))
    await session.commit()
    return order


async def test_a_refund_asked_before_shipping_is_asked_again_after_it(env, session):
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    order = await paid(session, ann, [(tea, 2)])
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(RefundCb(order=order.id))
    reply = await admin.press("Whole order")
    assert "The items go back on sale." in reply.text
    # Another admin (or the seller) ships it while this screen is open.
    await set_status(session, order, OrderStatus.shipped)
    reply = await admin.press("Yes, refund")
    assert reply.alert == "The order has changed meanwhile. Open it again."
    assert (await fresh(session, Product, tea.id)).stock == 8  # nothing came back
    assert (await fresh(session, Order, order.id)).status is OrderStatus.shipped
    assert await session.scalar(select(func.count()).select_from(Refund)) == 0
    # Opened again, it asks whether the goods came back.
    await admin.click(RefundCb(order=order.id))
    reply = await admin.press("Whole order")
    assert "Did the goods come back to you?" in reply.text
    await admin.press("not returned")
    assert (await fresh(session, Product, tea.id)).stock == 8
    assert (await fresh(session, Order, order.id)).status is OrderStatus.refunded


async def test_back_to_orders_after_a_refund_keeps_the_list_filter_and_page(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    await paid(session, ann, [(tea, 3)])
    for _ in range(9):
        await paid(session, ann, [(cake, 1)])
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    reply = await admin.click(OrdersCb(scope=OrderScope.all, status="paid", page=2))
    assert reply.has_button("2/2") and reply.has_button("#1 ")
    await admin.press("#1 ")
    await admin.press("Refund")
    await admin.press("Tea × 3")
    reply = await admin.send("1")  # typed: the quantity's dialog keeps the list too
    assert "Refund RUB\xa0100.00 for Tea × 1 of order #1?" in reply.text
    await admin.press("Yes, refund")
    reply = await admin.press("Orders")
    assert "All orders" in reply.text
    assert reply.has_button("2/2") and reply.has_button("• 💰 paid") and reply.has_button("#1 ")
    # Every way back from the refund screens keeps it: Back from the menu, and the way
    # out of a quantity question whose order was refunded meanwhile.
    await admin.press("#2 ")
    await admin.press("Refund")
    reply = await admin.press("Back")
    assert "Order #2" in reply.text
    reply = await admin.press("Orders")
    assert reply.has_button("2/2") and reply.has_button("• 💰 paid")
    await admin.press("#1 ")
    await admin.press("Refund")
    await admin.press("Tea × 2")
    boss = await session.scalar(select(User).where(User.telegram_id == ADMIN_ID))
    await RefundService(session).refund(boss, 1, 0, restock=True)  # another admin's
    await session.commit()
    reply = await admin.send("1")
    assert "This order can't be refunded." in reply.text
    await admin.press("Open the order")
    reply = await admin.press("Orders")
    assert reply.has_button("2/2") and reply.has_button("• 💰 paid")


async def test_sellers_hear_a_cash_order_cancelled_by_its_customer_or_the_shop(env, session):
    ann, bob, _sam, _ivan, tea, cake = await world(session)
    mine = await place(session, ann, [(tea, 1)])  # Sam's alone: he may ship it
    theirs = await place(session, bob, [(tea, 1), (cake, 2)])  # Sam's and Ivan's
    reply = await env.user(1).click(OrderCb(id=mine.id, action=OrderAction.cancel_yes))
    [note] = sent_to(reply, 10)
    assert "Order #1 was cancelled by the customer: don't ship it." in note.text
    assert "Its items are back on sale." in note.text and "Tea" in note.text
    assert not sent_to(reply, ADMIN_ID)  # the shop's admins weren't asked to ship it
    reply = await staff_cancel(env, theirs.id)
    [sam] = sent_to(reply, 10)
    assert "Order #2 was cancelled by the shop: don't ship it." in sam.text
    assert "Tea" in sam.text and "Cake" not in sam.text  # each seller their own lines
    [ivan] = sent_to(reply, 11)
    assert "Заказ №2 отменён магазином: не отправляйте его." in ivan.text
    assert "Cake" in ivan.text and "Tea" not in ivan.text
    assert [m.chat_id for m in sent_to(reply, ADMIN_ID)] == []  # not the admin who did it
    assert len(sent_to(reply, 2)) == 1  # and the customer, as before


async def test_a_prepaid_orders_seller_reads_it_waits_for_payment_and_hears_it_is_gone(
    make_env, settings, session
):
    """The seller's "New order" notice of an unpaid Stars order told them "pay before
    then", and when the customer cancelled it they heard nothing, their notice left
    saying it was on (found by a Russian walk)."""
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    _ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    customer = env.user(1)
    await customer.click(CartAddCb(product_id=tea.id))
    await to_summary(customer)
    reply = await customer.press("Confirm")
    [notice] = sent_to(reply, 10)
    assert "Waits for the customer's payment until" in notice.text
    assert "pay before then" not in notice.text
    card = await env.user(10).click(OrderCb(id=1, scope=OrderScope.sales))
    assert "Waits for the customer's payment" in card.text
    assert "pay before then" in (await customer.click(OrderCb(id=1))).text
    reply = await customer.click(OrderCb(id=1, action=OrderAction.cancel_yes))
    assert "Order #1 is cancelled." in reply.alert
    [gone] = sent_to(reply, 10)
    assert "Order #1 was cancelled before it was paid: nothing to ship." in gone.text


async def test_sellers_hear_which_of_their_lines_were_refunded(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await paid(session, ann, [(tea, 3), (cake, 1)])
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(RefundCb(order=order.id))
    await admin.press("Tea × 3")
    await admin.press("2")
    reply = await admin.press("Yes, refund")
    [customer] = sent_to(reply, 1)  # the units outside the name's quotes
    assert "Order #1: RUB\xa0200.00 refunded for 2 of “Tea”." in customer.text
    [note] = sent_to(reply, 10)
    assert "Order #1 was refunded before shipping: don't ship these items." in note.text
    assert "• Tea × 2" in note.text and "Cake" not in note.text
    assert not sent_to(reply, 11)  # the cake ships as before
    # After shipping: whether they came back.
    await set_status(session, order, OrderStatus.shipped)
    await admin.click(RefundCb(order=order.id))
    reply = await admin.press("Whole order")
    assert reply.text.startswith("Refund RUB\xa0350.00 for the whole order #1?")
    reply = await admin.press("not returned")
    [sam] = sent_to(reply, 10)
    assert "Order #1: these items were refunded and did not come back to stock." in sam.text
    assert "• Tea × 1" in sam.text
    [ivan] = sent_to(reply, 11)
    assert "• Cake × 1" in ivan.text and "Tea" not in ivan.text


def no_edits(method):
    """Telegram can't be reached for the presser's own screen (its edit)."""
    if isinstance(method, EditMessageText):
        return TelegramNetworkError(method=method, message="timed out")
    return None


async def test_a_cancel_is_told_to_everyone_when_the_pressers_screen_fails(env, session):
    """The cancel is committed before the screen is shown: a failed edit loses neither
    the notices nor the answer (pressed again, it would only say it can't be cancelled)."""
    ann, bob, _sam, _ivan, tea, cake = await world(session)
    mine = await place(session, ann, [(tea, 1)])
    theirs = await place(session, bob, [(tea, 1), (cake, 2)])
    user = env.user(1)
    await user.send("/start")
    env.api.hook = no_edits
    reply = await user.click(OrderCb(id=mine.id, action=OrderAction.cancel_yes))
    assert reply.alert == "Order #1 is cancelled."
    assert sent_to(reply, 10)
    env.api.hook = None
    reply = await staff_cancel(env, theirs.id, no_edits)
    assert (await fresh(session, Order, theirs.id)).status is OrderStatus.cancelled
    assert sent_to(reply, 2) and sent_to(reply, 10) and sent_to(reply, 11)
    assert "Sorry" not in (reply.alert or "")


async def test_a_seller_who_bought_their_own_goods_hears_once(env, session):
    _ann, _bob, sam, _ivan, tea, _cake = await world(session)
    order = await place(session, sam, [(tea, 1)])  # Sam orders his own tea
    reply = await staff_cancel(env, order.id)
    [note] = sent_to(reply, 10)
    assert "Order #1 is now" in note.text  # as its customer
    # Ordered again and left unconfirmed until the sweep cancels it: once again.
    await order_by(env.user(10), tea)  # through the bot: it sets the confirm deadline
    sent = len(env.api.requests)
    assert await sweeper(env, hours=49).sweep(env.bot) == [2]
    later = [c for c in env.api.requests[sent:] if isinstance(c, SendMessage)]
    assert [c.chat_id for c in later] == [10] and "did not confirm order #2" in later[0].text


async def test_a_prepaid_orders_seller_hears_when_it_was_not_paid_in_time(
    make_env, settings, session
):
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    _ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    customer = env.user(1)
    await customer.click(CartAddCb(product_id=tea.id))
    await to_summary(customer)
    await customer.press("Confirm")
    sent = len(env.api.requests)
    assert await sweeper(env, minutes=31).sweep(env.bot) == [1]
    told = {c.chat_id: c.text for c in env.api.requests[sent:] if isinstance(c, SendMessage)}
    assert "Order #1 was not paid in time and is cancelled: nothing to ship." in told[10]
    # Paid late, with the tea still there: honoured, and the seller reads it is on again.
    reply = await customer.pay("order:1", 100, charge_id="late-ok")
    [again] = sent_to(reply, 10)
    assert "Order #1 was paid after all (it had run out of time): it is on again." in again.text
