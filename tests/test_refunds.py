"""Refunds as an admin makes them and a customer sees them: whole or one line, the goods
back on sale or not, Stars returned by Telegram only in full, all in the books."""

from decimal import Decimal

from aiogram.methods import RefundStarPayment
from sqlalchemy import select, update

from keyboards.callback_data import OrderCb, OrderScope
from keyboards.callback_owner import RefundCb, RefundStep
from models import AuditEntry, Order, OrderItem, OrderStatus, PaymentMethod, Product, Refund
from tests.conftest import ADMIN_ID
from tests.test_orders import fresh, place, sent_to, world


async def delivered(session, order, **values):
    await session.execute(
        update(Order).where(Order.id == order.id).values(status=OrderStatus.delivered, **values)
    )
    await session.commit()


async def test_one_line_not_returned_then_the_rest_returned_to_stock(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await place(session, ann, [(tea, 2), (cake, 1)])  # cash on delivery
    await delivered(session, order)
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(OrderCb(id=order.id, scope=OrderScope.all))
    reply = await admin.press("Refund")
    assert "Refund the whole order, or one line:" in reply.text
    assert reply.has_button("Whole order (RUB\xa0450.00)") and reply.has_button("Tea × 2")
    reply = await admin.press("Tea × 2")
    assert "How many of “Tea” to refund? Ordered 2, 2 not refunded yet." in reply.text
    reply = await admin.press("2")
    assert "Refund RUB\xa0200.00 for Tea of order #1?" in reply.text
    assert "Return the cash to the customer" in reply.text
    assert "Did the goods come back to you?" in reply.text
    reply = await admin.press("not returned")
    assert reply.alert == "Order #1: RUB\xa0200.00 refunded."
    [note] = sent_to(reply, 1)
    assert (
        "RUB\xa0200.00 refunded for “Tea”" in note.text
        and "The shop returns the money" in note.text
    )
    # Damaged: the tea stays off sale; the order is still delivered.
    assert (await fresh(session, Product, tea.id)).stock == 8
    assert (await fresh(session, Order, order.id)).status is OrderStatus.delivered
    # The customer's order history shows it.
    card = await env.user(1).click(OrderCb(id=order.id))
    assert "Refunded RUB\xa0200.00 (Tea)" in card.text
    # The tea's seller sees it too; the cake's seller (another seller's line) does not.
    card = await env.user(10).click(OrderCb(id=order.id, scope=OrderScope.sales))
    assert "Refunded RUB\xa0200.00 (Tea)" in card.text
    card = await env.user(11).click(OrderCb(id=order.id, scope=OrderScope.sales))
    assert "Cake" in card.text and "Tea" not in card.text and "200" not in card.text
    # The rest: only the cake is left to refund, and it came back.
    reply = await admin.click(RefundCb(order=order.id))
    assert "Refunded so far: RUB\xa0200.00" in reply.text and not reply.has_button("Tea")
    reply = await admin.press("Whole order (RUB\xa0250.00)")
    reply = await admin.press("returned to stock")
    assert (await fresh(session, Order, order.id)).status is OrderStatus.refunded
    assert (await fresh(session, Product, cake.id)).stock == 10
    assert (await fresh(session, Product, tea.id)).stock == 8
    refunds = list(await session.scalars(select(Refund).order_by(Refund.id)))
    assert [(r.amount, r.restocked, r.via) for r in refunds] == [
        (Decimal("200.00"), False, "manual"),
        (Decimal("250.00"), True, "manual"),
    ]
    audit = list(
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "order.refund"))
    )
    assert [a.after["amount"] for a in audit] == ["200.00", "250.00"]
    assert audit[0].after["line"] == "Tea" and audit[0].after["restocked"] is False


async def test_a_line_can_be_refunded_once(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await place(session, ann, [(tea, 1), (cake, 1)])
    await delivered(session, order)
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    item_id = await session.scalar(
        select(OrderItem.id).where(OrderItem.order_id == order.id, OrderItem.product_id == tea.id)
    )
    do = RefundCb(order=order.id, item=item_id, step=RefundStep.do, restock=True)
    assert (await admin.click(do)).alert == "Order #1: RUB\xa0100.00 refunded."
    again = await admin.click(do)  # the same button again: a double tap
    assert again.alert == "The order has changed meanwhile. Open it again."
    again = await admin.click(do.model_copy(update={"seen": 1}))  # asked after it
    assert again.alert == "This line can't be refunded alone now. Open the order again."
    # A line of another order, forged into this one's button, is refused too.
    other = await place(session, ann, [(cake, 1), (tea, 1)])
    await delivered(session, other)
    foreign = await session.scalar(select(OrderItem.id).where(OrderItem.order_id == other.id))
    forged = RefundCb(order=order.id, item=foreign, step=RefundStep.do, restock=True, seen=1)
    assert (await admin.click(forged)).alert.startswith("This line can't be refunded")
    assert len(list(await session.scalars(select(Refund)))) == 1
    # 10, one ordered, refunded back on sale, one ordered again.
    assert (await fresh(session, Product, tea.id)).stock == 9


async def test_stars_lines_are_settled_outside_telegram(make_env, settings, session):
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await place(session, ann, [(tea, 1), (cake, 1)], PaymentMethod.stars)
    await session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(status=OrderStatus.paid, telegram_payment_charge_id="ch-1", paid_amount=350)
    )
    await session.commit()
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    reply = await admin.click(RefundCb(order=order.id))
    assert "Telegram returns a Stars payment only in full" in reply.text
    reply = await admin.press("Cake × 1")
    assert "Telegram can't return part of a Stars payment" in reply.text
    # Paid, not shipped: the goods never left, so no question about them.
    assert "Did the goods come back" not in reply.text
    reply = await admin.press("Yes, refund")
    assert not reply.of(RefundStarPayment)
    assert (await fresh(session, Product, cake.id)).stock == 10
    # The rest can't go through Telegram either (it would return the whole charge).
    reply = await admin.click(RefundCb(order=order.id, step=RefundStep.ask))
    assert "Telegram returns Stars only in full: settle the rest" in reply.text
    reply = await admin.press("Yes, refund")
    assert not reply.of(RefundStarPayment)
    assert (await fresh(session, Order, order.id)).status is OrderStatus.refunded


async def test_a_delivered_stars_order_refunded_whole_without_the_goods(
    make_env, settings, session
):
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    order = await place(session, ann, [(tea, 3)], PaymentMethod.stars)
    await delivered(session, order, telegram_payment_charge_id="ch-2", paid_amount=300)
    env.api.rules.charges["ch-2"] = {"user_id": 1, "total_amount": 300}
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    reply = await admin.click(RefundCb(order=order.id))
    assert reply.has_button("Tea × 3")  # one line: some of its units may go alone
    reply = await admin.press("Whole order")
    assert "The Stars go back to the customer's Stars balance now." in reply.text
    reply = await admin.press("not returned")
    [refund] = reply.of(RefundStarPayment)
    assert refund.telegram_payment_charge_id == "ch-2"
    assert (await fresh(session, Product, tea.id)).stock == 7  # digital or damaged: not back
    [row] = await session.scalars(select(Refund))
    assert (row.via, row.restocked, row.amount) == ("telegram", False, Decimal("300.00"))


async def test_a_card_with_many_refunds_still_fits_one_message(env, session):
    """Twenty long lines, a long address and comment, and a refund of one unit of each
    line: the card would pass Telegram's 4096 characters, so the oldest refund lines
    give way to how many there were. Every refund is shown to the admin and told to the
    customer, and both can still open the card."""
    from tests.factories import make_category, make_product

    ann, *_rest = await world(session)
    shelf = await make_category(session, "Mugs")
    mugs = [
        await make_product(session, shelf, f"Handmade ceramic mug number {n} glazed", stock=9)
        for n in range(20)
    ]
    await session.commit()
    order = await place(session, ann, [(mug, 3) for mug in mugs])
    await delivered(session, order, address="Long street " * 25, comment="Please " * 57)
    items = list(
        await session.scalars(
            select(OrderItem.id).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
        )
    )
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(OrderCb(id=order.id, scope=OrderScope.all))
    for seen, item in enumerate(items):
        step = RefundCb(order=order.id, item=item, qty=1, step=RefundStep.do, seen=seen)
        reply = await admin.click(step)
        assert reply.alert == f"Order #{order.id}: RUB\xa0100.00 refunded.", seen
        assert f"Order #{order.id}" in reply.text and len(sent_to(reply, 1)) == 1, seen
    assert "… and " in reply.text and "earlier refunds" in reply.text
    assert "number 19 glazed: 1 of 3 refunded" in reply.text  # the latest stays
    card = await env.user(1).click(OrderCb(id=order.id))
    assert "earlier refunds" in card.text
    assert len(list(await session.scalars(select(Refund)))) == 20
