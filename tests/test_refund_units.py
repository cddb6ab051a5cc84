"""Refunding some units of a line ("1 of the 3 mugs"): the quantity step (buttons, a
typed number, bad input, Back, Cancel), amounts that add up to the line's share of a
discounted order, stock back per unit, and the books."""

from decimal import Decimal

from aiogram.methods import RefundStarPayment, SendDocument
from sqlalchemy import select, text, update

from bot import migrate
from db.engine import create_engine, create_session_pool
from keyboards.callback_owner import RefundCb, RefundStep
from models import AuditEntry, Order, OrderItem, OrderStatus, PaymentMethod, Product, Refund
from tests.conftest import ADMIN_ID
from tests.test_books import received_csv
from tests.test_migrations import scratch_url  # noqa: F401 (a fixture)
from tests.test_orders import fresh, place, world
from tests.test_refunds import delivered


async def tea_line(session, order) -> int:
    return await session.scalar(
        select(OrderItem.id).where(OrderItem.order_id == order.id, OrderItem.name == "Tea")
    )


async def refunds(session) -> list[Refund]:
    stmt = select(Refund).order_by(Refund.id).execution_options(populate_existing=True)
    return list(await session.scalars(stmt))


async def test_units_in_steps_add_up_to_the_line_share_of_a_discounted_order(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await place(session, ann, [(tea, 3), (cake, 1)])  # 300 + 250
    # A promo took 50 off: the tea's share is 300 * 500 / 550 = 272.73.
    await delivered(session, order, discount=Decimal("50"), total=Decimal("500"))
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    reply = await admin.click(RefundCb(order=order.id))
    reply = await admin.press("Tea × 3")
    assert "How many of “Tea” to refund? Ordered 3, 3 not refunded yet." in reply.text
    assert reply.buttons[:3] == ["1", "2", "3"]
    reply = await admin.press("1")
    assert "Refund RUB\xa090.91 for Tea × 1 of order #1?" in reply.text
    reply = await admin.press("returned to stock")
    assert reply.alert == "Order #1: RUB\xa090.91 refunded."
    assert (await fresh(session, Product, tea.id)).stock == 8  # 10 - 3 + 1
    card = await admin.click(RefundCb(order=order.id))
    assert "Tea: 1 of 3 refunded" in card.text
    # The line's button says what is left to refund: 2 units, 272.73 - 90.91.
    assert card.has_button("Tea × 2 (RUB\xa0181.82)") and not card.has_button("Tea × 3")
    # The second unit typed, not returned: the stock stays.
    reply = await admin.press("Tea × 2")
    assert "Ordered 3, 2 not refunded yet." in reply.text and not reply.has_button("3")
    reply = await admin.send("1")
    assert "Refund RUB\xa090.91 for Tea × 1 of order #1?" in reply.text
    reply = await admin.press("not returned")
    assert (await fresh(session, Product, tea.id)).stock == 8
    # The last unit: no question how many; it takes the remainder of the share.
    reply = await admin.click(RefundCb(order=order.id))
    assert "Tea: 2 of 3 refunded" in reply.text
    reply = await admin.press("Tea × 1 (RUB\xa090.91)")
    assert "Refund RUB\xa090.91 for Tea × 1 of order #1?" in reply.text
    await admin.press("returned to stock")
    assert (await fresh(session, Product, tea.id)).stock == 9
    rows = await refunds(session)
    assert sum(r.amount for r in rows) == Decimal("272.73")
    assert [r.quantity for r in rows] == [1, 1, 1]
    assert (await fresh(session, Order, order.id)).status is OrderStatus.delivered
    # Then the rest: the cake, and the order is refunded in full, to the cent.
    reply = await admin.click(RefundCb(order=order.id))
    assert not reply.has_button("Tea")
    reply = await admin.press("Whole order (RUB\xa0227.27)")
    await admin.press("returned to stock")
    rows = await refunds(session)
    assert sum(r.amount for r in rows) == Decimal("500.00")
    assert (await fresh(session, Order, order.id)).status is OrderStatus.refunded
    assert (await fresh(session, Product, cake.id)).stock == 10
    audit = list(
        await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.refund").order_by(AuditEntry.id)
        )
    )
    assert [a.after["quantity"] for a in audit] == [1, 1, 1, None]
    # The books: the refunded column sums to the refunds, line by line.
    await admin.send("/books")
    reply = await admin.press("7 days")
    assert reply.of(SendDocument)
    _data, (header, *lines), _caption = received_csv(env, ADMIN_ID)
    column = header.index("refunded")
    by_product = {line[header.index("product")]: Decimal(line[column]) for line in lines}
    assert by_product == {"Tea": Decimal("272.73"), "Cake": Decimal("227.27")}


async def test_two_steps_of_a_one_line_order_end_as_a_whole_refund(env, session):
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    order = await place(session, ann, [(tea, 3)])
    await delivered(session, order)
    item = await tea_line(session, order)
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    do = RefundCb(order=order.id, item=item, step=RefundStep.do, restock=True)
    assert (await admin.click(do.model_copy(update={"qty": 1}))).alert == (
        "Order #1: RUB\xa0100.00 refunded."
    )
    assert (await fresh(session, Order, order.id)).status is OrderStatus.delivered
    # The last two units of the only line are the rest of the order (asked after one
    # refund was recorded).
    assert (await admin.click(do.model_copy(update={"qty": 2, "seen": 1}))).alert == (
        "Order #1: RUB\xa0200.00 refunded."
    )
    assert (await fresh(session, Order, order.id)).status is OrderStatus.refunded
    assert (await fresh(session, Product, tea.id)).stock == 10
    assert [(r.amount, r.quantity) for r in await refunds(session)] == [
        (Decimal("100.00"), 1),
        (Decimal("200.00"), None),
    ]


async def test_bad_quantities_change_nothing(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await place(session, ann, [(tea, 3), (cake, 1)])
    await delivered(session, order)
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(RefundCb(order=order.id))
    await admin.press("Tea × 3")
    for typed in ("abc", "0", "4", "-1", "99999999999999999999"):
        reply = await admin.send(typed)
        assert "Send a whole number from 1 to 3." in reply.text, typed
        assert "How many of “Tea” to refund?" in reply.text
    reply = await admin.send_sticker()
    assert "Send a whole number from 1 to 3." in reply.text
    # Back: what to refund again, and a number typed now is not a quantity.
    reply = await admin.press("Back")
    assert "Refund the whole order, or one line:" in reply.text
    reply = await admin.send("2")
    assert "Refund RUB" not in reply.text
    # Cancel from the step leaves the dialog too.
    await admin.click(RefundCb(order=order.id))
    await admin.press("Tea × 3")
    await admin.press("Cancel")
    reply = await admin.send("2")
    assert "Refund RUB" not in reply.text
    assert await refunds(session) == []
    assert (await fresh(session, Product, tea.id)).stock == 7


async def test_forged_quantities_are_refused(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await place(session, ann, [(tea, 3), (cake, 1)])
    await delivered(session, order)
    item = await tea_line(session, order)
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    for qty in (4, 2**31 - 1, -5):
        do = RefundCb(order=order.id, item=item, qty=qty, step=RefundStep.do, restock=True)
        assert (await admin.click(do)).alert == "Only 3 of 3 can be refunded now."
        ask = RefundCb(order=order.id, item=item, qty=qty, step=RefundStep.ask)
        assert (await admin.click(ask)).alert == "Only 3 of 3 can be refunded now."
    do = RefundCb(order=order.id, item=item, qty=2, step=RefundStep.do, restock=True)
    await admin.click(do)
    asked_after = do.model_copy(update={"seen": 1})  # as if asked after that refund
    assert (await admin.click(asked_after)).alert == "Only 1 of 3 can be refunded now."
    assert [r.quantity for r in await refunds(session)] == [2]
    assert (await fresh(session, Product, tea.id)).stock == 9


async def paid_stars_tea(make_env, settings, session):
    """A shop taking Stars, and Ann's paid order of 3 teas (charge "ch-3", 300 Stars)."""
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    order = await place(session, ann, [(tea, 3)], PaymentMethod.stars)
    await session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(status=OrderStatus.paid, telegram_payment_charge_id="ch-3", paid_amount=300)
    )
    await session.commit()
    env.api.rules.charges["ch-3"] = {"user_id": 1, "total_amount": 300}
    return env, order


async def test_some_units_of_a_stars_order_are_recorded_not_sent(make_env, settings, session):
    env, order = await paid_stars_tea(make_env, settings, session)
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(RefundCb(order=order.id))
    await admin.press("Tea × 3")
    reply = await admin.press("1")
    assert "Telegram can't return part of a Stars payment" in reply.text
    reply = await admin.press("Yes, refund")
    assert not reply.of(RefundStarPayment)
    [row] = await refunds(session)
    assert (row.via, row.quantity, row.amount) == ("manual", 1, Decimal("100.00"))


async def test_the_quantity_step_in_russian(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await place(session, ann, [(tea, 3), (cake, 1)])
    await delivered(session, order)
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await session.execute(update_language(ADMIN_ID))
    await session.commit()
    await admin.click(RefundCb(order=order.id))
    reply = await admin.press("Tea × 3")
    assert "Сколько «Tea» вернуть? Заказано 3, не возвращено 3." in reply.text
    reply = await admin.send("abc")
    assert "Пришлите целое число от 1 до 3." in reply.text
    reply = await admin.press("1")
    await admin.press("вернулся на склад")
    reply = await admin.click(RefundCb(order=order.id))
    assert "Tea: возвращено 1 из 3" in reply.text


def update_language(telegram_id: int):
    from models import User

    return update(User).where(User.telegram_id == telegram_id).values(language="ru")


async def test_revision_0011_counts_old_line_refunds_and_folds_steps_going_down(scratch_url):  # noqa: F811
    engine = create_engine(scratch_url)
    try:
        await migrate.upgrade(engine)
        async with create_session_pool(engine)() as session:
            ann, _bob, _sam, _ivan, tea, _cake = await world(session)
            order = await place(session, ann, [(tea, 3)])
            item = await tea_line(session, order)
            for amount in ("100", "50"):
                session.add(
                    Refund(
                        order_id=order.id,
                        order_item_id=item,
                        amount=Decimal(amount),
                        quantity=1,
                        via="manual",
                        restocked=False,
                    )
                )
            await session.commit()
        # Down: one row per line again, holding both steps' money.
        await migrate.downgrade(engine, "0010")
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT order_item_id, amount FROM refunds"))).all()
        assert [(r[0], Decimal(str(r[1]))) for r in rows] == [(item, Decimal("150.00"))]
        # Up: a line refund made before 0011 covered the whole line.
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert (await conn.scalar(text("SELECT quantity FROM refunds"))) == 3
    finally:
        await engine.dispose()


async def test_a_double_tap_or_a_second_admin_refunds_the_units_once(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await place(session, ann, [(tea, 3), (cake, 1)])
    await delivered(session, order)
    admin, other = env.user(ADMIN_ID), env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(RefundCb(order=order.id))
    await admin.press("Tea × 3")
    await admin.press("1")
    confirm = admin.pressable_message  # both admins look at "Refund 1 of Tea?"
    yes = admin.find_button("returned to stock", confirm)
    assert (await admin.click(yes, confirm)).alert == "Order #1: RUB\xa0100.00 refunded."
    for who in (admin, other):  # the double tap, and the other admin's old screen
        reply = await who.click(yes, confirm)
        assert reply.alert == "The order has changed meanwhile. Open it again."
    assert [(r.quantity, r.amount) for r in await refunds(session)] == [(1, Decimal("100.00"))]
    assert (await fresh(session, Product, tea.id)).stock == 8  # one unit back, once


async def test_the_last_units_of_a_stars_order_say_what_happens_the_telegram_refund(
    make_env, settings, session
):
    """All the units of a Stars order's only line are the whole order: the screen says
    the Stars go back (they do), not "settle it yourself"."""
    env, order = await paid_stars_tea(make_env, settings, session)
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(RefundCb(order=order.id))
    await admin.press("Tea × 3")
    reply = await admin.press("3")
    assert "The Stars go back to the customer's Stars balance now." in reply.text
    assert "settle" not in reply.text
    reply = await admin.press("Yes, refund")
    assert reply.of(RefundStarPayment)
    [row] = await refunds(session)
    assert (row.via, row.quantity, row.amount) == ("telegram", None, Decimal("300.00"))


async def test_the_quantity_question_ends_when_the_order_was_refunded_meanwhile(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await place(session, ann, [(tea, 3), (cake, 1)])
    await delivered(session, order)
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(RefundCb(order=order.id))
    await admin.press("Tea × 3")  # "How many?"
    whole = RefundCb(order=order.id, step=RefundStep.do, restock=True)
    await env.user(ADMIN_ID).click(whole)  # another admin refunds the whole order
    reply = await admin.send("2")
    assert reply.text == "⚠️ This order can't be refunded."
    assert reply.buttons == ["📦 Open the order"]  # not a dead end: back to the order
    card = await admin.press("Open the order")
    assert "Order #1" in card.text and "Refunded" in card.text
    reply = await admin.send("2")  # the question is over: a number is not taken for it
    assert reply.texts != ["⚠️ This order can't be refunded."]
    assert len(await refunds(session)) == 1
