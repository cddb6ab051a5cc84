from decimal import Decimal

from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage
from sqlalchemy import select

from keyboards.callback_data import OrderAction, OrderCb, OrdersCb, OrderScope
from models import CartItem, Order, OrderStatus, PaymentMethod, Product, Role, User
from services.orders import Contact, OrderService
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user

CONTACT = Contact("Ann", "+79991234567", "Main street 1", None)


async def place(session, customer, lines, method=PaymentMethod.cod):
    """An order of `lines` [(product, quantity)], placed and committed."""
    for product, quantity in lines:
        session.add(
            CartItem(
                user_id=customer.id, product_id=product.id, quantity=quantity, price=product.price
            )
        )
    await session.flush()
    order = await OrderService(session).checkout(customer, CONTACT, method, "RUB")
    await session.commit()
    return order


async def fresh(session, model, id):
    stmt = select(model).where(model.id == id).execution_options(populate_existing=True)
    return await session.scalar(stmt)


def sent_to(reply, chat_id):
    return [c for c in reply.of(SendMessage) if c.chat_id == chat_id]


async def world(session):
    category = await make_category(session)
    ann = await make_user(session, 1, first_name="Ann")
    bob = await make_user(session, 2, first_name="Bob")
    sam = await make_user(session, 10, Role.seller, first_name="Sam")
    ivan = await make_user(session, 11, Role.seller, first_name="Ivan", language="ru")
    tea = await make_product(session, category, name="Tea", price="100", stock=10, seller=sam)
    cake = await make_product(session, category, name="Cake", price="250", stock=10, seller=ivan)
    await session.commit()
    return ann, bob, sam, ivan, tea, cake


async def test_order_numbers_read_as_the_language_writes_them(env, session):
    """The list said "#1" in Russian while the card said "Заказ №1", and the card's
    date was ISO while reviews' dates are Russian (a Russian walk)."""
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    ann.language = "ru"
    await place(session, ann, [(tea, 1)])
    reply = await env.user(1).send("/orders")
    assert any(b.startswith("№1 · ") for b in reply.buttons), reply.buttons
    # And dates as it writes them ("7 дек. 2026 г., 21:41 UTC"), not ISO.
    card = await env.user(1).press("№1")
    assert "г., " in card.text and " UTC" in card.text and "Заказ №1" in card.text


async def test_my_orders_are_paged(env, session):
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    for _ in range(10):
        await place(session, ann, [(tea, 1)])
    user = env.user(1)
    reply = await user.send("/orders")
    assert "My orders" in reply.text
    labels = [b for b in reply.buttons if b.startswith("#")]
    assert len(labels) == 8 and labels[0].startswith("#10 ")
    assert "new" in labels[0]
    assert "Choose an order:" in reply.text and "Page" not in reply.text
    assert reply.has_button("1/2") and reply.has_button("▶")  # the pager every list has
    reply = await user.press("▶")
    assert [b.split(" ")[0] for b in reply.buttons if b.startswith("#")] == ["#2", "#1"]
    assert reply.has_button("◀") and reply.has_button("2/2") and not reply.has_button("▶")
    # A page past the end (a stale or forged button) is the last page, never an empty one.
    await user.press("◀")
    reply = await user.click(OrdersCb(scope=OrderScope.mine, page=999))
    assert "No orders" not in reply.text and reply.has_button("#1 ") and reply.has_button("2/2")


async def test_order_card_and_cancel_returns_the_stock(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    order = await place(session, ann, [(tea, 2), (cake, 1)])
    user = env.user(1)
    reply = await user.click(OrderCb(id=order.id))
    assert "Order #1" in reply.text and "Tea" in reply.text and "Cake" in reply.text
    assert reply.has_button("Cancel the order") and not reply.has_button("Pay")
    reply = await user.press("Cancel the order")
    assert "Cancel order #1?" in reply.text
    reply = await user.press("Yes, cancel it")
    assert reply.alert == "Order #1 is cancelled."
    assert "cancelled" in user.shown_text and "Cancel the order" not in user.shown_buttons
    assert (await fresh(session, Order, order.id)).status is OrderStatus.cancelled
    assert (await fresh(session, Product, tea.id)).stock == 10
    assert (await fresh(session, Product, cake.id)).stock == 10
    # A second press (old button) changes nothing.
    reply = await user.click(OrderCb(id=order.id, action=OrderAction.cancel_yes))
    assert reply.alert == "Only a new, unpaid order can be cancelled."
    assert (await fresh(session, Product, tea.id)).stock == 10


async def test_forged_buttons_for_someone_elses_order_do_nothing(env, session):
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    order = await place(session, ann, [(tea, 1)])
    bob = env.user(2)
    for action in (OrderAction.view, OrderAction.cancel, OrderAction.cancel_yes, OrderAction.pay):
        reply = await bob.click(OrderCb(id=order.id, action=action))
        assert reply.alert == "Order not found.", action
    reply = await bob.click(OrderCb(id=order.id, action=OrderAction.status, to="shipped"))
    assert reply.alert == "Order not found."
    # The customer can't move their own order either.
    reply = await env.user(1).click(OrderCb(id=order.id, action=OrderAction.status, to="shipped"))
    assert reply.alert == "Not allowed."
    reply = await env.user(1).click(OrderCb(id=order.id, action=OrderAction.refund_yes))
    assert reply.alert == "Not allowed."
    assert (await fresh(session, Order, order.id)).status is OrderStatus.new
    assert (await fresh(session, Product, tea.id)).stock == 9
    assert (await bob.click(OrderCb(id=2**31 - 1))).alert == "Order not found."
    # And nobody but staff sees the other lists.
    assert (await bob.click(OrdersCb(scope=OrderScope.all))).alert == "Not allowed."
    assert (await bob.click(OrdersCb(scope=OrderScope.sales))).alert == "Not allowed."


async def test_sellers_are_told_their_own_lines_in_their_language(env, session):
    _ann, _bob, _sam, _ivan, tea, cake = await world(session)
    from keyboards.callback_data import CartAddCb
    from tests.test_checkout import to_summary

    user = env.user(1)
    await user.click(CartAddCb(product_id=tea.id))
    await user.click(CartAddCb(product_id=cake.id))
    await to_summary(user)
    reply = await user.press("Confirm")
    [to_sam] = sent_to(reply, 10)
    [to_ivan] = sent_to(reply, 11)
    assert "New order with your products" in to_sam.text
    assert "Tea" in to_sam.text and "Cake" not in to_sam.text
    assert "Your lines" in to_sam.text
    assert "Cake" in to_ivan.text and "Tea" not in to_ivan.text
    assert "Новый заказ" in to_ivan.text and "₽" in to_ivan.text
    # The seller's card shows only their lines; Cake is Ivan's, so Sam can't move the
    # whole order (tests/test_orders_rules.py).
    reply = await env.user(10).click(OrderCb(id=1, scope=OrderScope.sales))
    assert "Tea" in reply.text and "Cake" not in reply.text
    assert not reply.has_button("Mark shipped")


async def test_a_seller_who_blocked_the_bot_does_not_break_the_order(env, session):
    _ann, _bob, _sam, _ivan, tea, cake = await world(session)
    from keyboards.callback_data import CartAddCb
    from tests.test_checkout import to_summary

    def blocked(method):
        if isinstance(method, SendMessage) and method.chat_id == 10:
            return TelegramForbiddenError(method=method, message="Forbidden: bot was blocked")
        return None

    user = env.user(1)
    await user.click(CartAddCb(product_id=tea.id))
    await user.click(CartAddCb(product_id=cake.id))
    await to_summary(user)
    env.api.hook = blocked
    reply = await user.press("Confirm")
    assert "Order #1" in reply.texts[0]
    assert len(sent_to(reply, 11)) == 1
    assert (await fresh(session, Order, 1)).status is OrderStatus.new
    # Broadcasts will skip them until they write to the bot again.
    sam = await session.scalar(
        select(User).where(User.telegram_id == 10).execution_options(populate_existing=True)
    )
    assert sam.is_active is False


async def test_a_shipped_cash_order_whose_parcel_came_back_unpaid_is_cancelled(env, session):
    """A parcel refused at the door: the card offered only "Mark delivered", and the way
    to get the stock back was to claim it delivered, then refund money never taken. The
    shop cancels it: stock back, the customer and the other seller told, no refund."""
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    await make_user(session, ADMIN_ID, Role.admin)
    await session.commit()
    order = await place(session, ann, [(tea, 2), (cake, 1)])
    boss = env.user(ADMIN_ID)
    await boss.click(OrderCb(id=order.id, scope=OrderScope.all))
    await boss.press("Mark shipped")
    reply = await boss.press("Cancel the order")
    assert "Only if its parcel came back unpaid" in reply.text
    reply = await boss.press("Yes, cancel it")
    assert "Order #1 is now ✖️ cancelled." in sent_to(reply, 1)[0].text
    [to_sam] = sent_to(reply, 10)
    assert "its parcel came back unpaid" in to_sam.text and "don't ship" not in to_sam.text
    assert "посылка вернулась" in sent_to(reply, 11)[0].text  # Ivan reads Russian
    assert (await fresh(session, Order, order.id)).status is OrderStatus.cancelled
    assert (await fresh(session, Product, tea.id)).stock == 10
    # A prepaid order once shipped stays as it was: its money is refunded, not cancelled.
    prepaid = await place(session, ann, [(tea, 1)], method=PaymentMethod.stars)
    await session.execute(
        Order.__table__.update().where(Order.id == prepaid.id).values(status=OrderStatus.shipped)
    )
    await session.commit()
    reply = await boss.click(OrderCb(id=prepaid.id, scope=OrderScope.all))
    assert not reply.has_button("Cancel the order")


async def test_a_seller_moving_their_own_order_is_not_told_again(env, session):
    """Sam bought his own tea: marking it shipped edited his card, answered the button,
    and then sent him "Order #1 is now shipped" as its customer as well."""
    _ann, _bob, sam_row, _ivan, tea, _cake = await world(session)
    order = await place(session, sam_row, [(tea, 1)])
    sam = env.user(10)
    await sam.click(OrderCb(id=order.id, scope=OrderScope.sales))
    reply = await sam.press("Mark shipped")
    assert "shipped" in reply.alert and "shipped" in reply.text  # the answer and the card
    assert sent_to(reply, 10) == []
    assert (await fresh(session, Order, order.id)).status is OrderStatus.shipped


async def test_staff_move_the_status_and_the_customer_hears_each_change(env, session):
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    order = await place(session, ann, [(tea, 1)])
    sam = env.user(10)
    reply = await sam.click(OrderCb(id=order.id, scope=OrderScope.sales))
    reply = await sam.press("Mark shipped")
    assert "shipped" in reply.alert
    [note] = sent_to(reply, 1)
    assert "Order #1 is now 🚚 shipped." in note.text
    reply = await sam.press("Mark delivered")
    [note] = sent_to(reply, 1)
    assert "delivered" in note.text
    assert (await fresh(session, Order, order.id)).status is OrderStatus.delivered
    assert not reply.has_button("Mark")
    # Pressing an old button again: not possible, nothing sent.
    reply = await sam.click(OrderCb(id=order.id, action=OrderAction.status, to="shipped"))
    assert reply.alert == "This status change is not possible now."
    assert sent_to(reply, 1) == []


async def test_a_seller_without_lines_in_the_order_cannot_touch_it(env, session):
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    order = await place(session, ann, [(tea, 1)])  # Sam's product only
    reply = await env.user(11).click(
        OrderCb(id=order.id, action=OrderAction.status, to="cancelled")
    )
    assert reply.alert == "Заказ не найден."  # Ivan reads Russian
    assert (await fresh(session, Order, order.id)).status is OrderStatus.new


async def test_staff_cancel_returns_stock_and_prepaid_orders_ship_only_when_paid(env, session):
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    order = await place(session, ann, [(tea, 3)], PaymentMethod.stars)
    sam = env.user(10)
    reply = await sam.click(OrderCb(id=order.id, scope=OrderScope.sales))
    assert not reply.has_button("Mark shipped") and reply.has_button("Cancel the order")
    reply = await sam.click(OrderCb(id=order.id, action=OrderAction.status, to="shipped"))
    assert reply.alert == "This status change is not possible now."
    reply = await sam.press("Cancel the order")  # the staff's Cancel asks first
    assert "Cancel order #1? The customer is told" in reply.text and sent_to(reply, 1) == []
    assert (await fresh(session, Order, order.id)).status is OrderStatus.new
    reply = await sam.press("No")
    assert reply.has_button("Cancel the order")
    await sam.press("Cancel the order")
    reply = await sam.press("Yes, cancel it")
    assert "cancelled" in sent_to(reply, 1)[0].text
    assert (await fresh(session, Product, tea.id)).stock == 10


async def test_admin_sees_all_orders_filtered_by_status(env, session):
    ann, bob, _sam, _ivan, tea, cake = await world(session)
    first = await place(session, ann, [(tea, 1)])
    await place(session, bob, [(cake, 1)])
    await OrderService(session).cancel(ann, first.id)
    await session.commit()
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    reply = await admin.send("/orders")
    assert reply.has_button("All orders")
    reply = await admin.press("All orders")
    assert [b.split(" ")[0] for b in reply.buttons if b.startswith("#")] == ["#2", "#1"]
    reply = await admin.click(OrdersCb(scope=OrderScope.all, status="cancelled"))
    assert [b.split(" ")[0] for b in reply.buttons if b.startswith("#")] == ["#1"]
    assert reply.has_button("• ✖️ cancelled")
    reply = await admin.click(OrderCb(id=2, scope=OrderScope.all))
    assert "Cake" in reply.text and reply.has_button("Mark shipped")


async def test_seller_list_holds_only_orders_with_their_products(env, session):
    ann, bob, _sam, _ivan, tea, cake = await world(session)
    await place(session, ann, [(tea, 1)])
    await place(session, bob, [(cake, 1)])
    reply = await env.user(10).click(OrdersCb(scope=OrderScope.sales))
    assert [b.split(" ")[0] for b in reply.buttons if b.startswith("#")] == ["#1"]


async def test_seller_list_shows_the_total_of_their_lines_as_the_card_does(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    await place(session, ann, [(tea, 2), (cake, 1)])  # Sam's 200 of 450
    sam = env.user(10)
    reply = await sam.click(OrdersCb(scope=OrderScope.sales))
    assert reply.has_button("#1 · RUB\xa0200.00") and "450" not in " ".join(reply.buttons)
    card = await sam.click(OrderCb(id=1, scope=OrderScope.sales))
    assert "Your lines: RUB\xa0200.00" in card.text
    # The customer and an admin see the whole order's total.
    assert (await env.user(1).send("/orders")).has_button("#1 · RUB\xa0450.00")


async def test_russian_order_card(env, session):
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    ann.language = "ru"
    await session.commit()
    order = await place(session, ann, [(tea, 2)])
    reply = await env.user(1, language_code="ru").click(OrderCb(id=order.id))
    assert "Заказ №1" in reply.text and "200,00\xa0₽" in reply.text
    assert order.total == Decimal("200")


async def test_lines_without_a_seller_go_to_the_admins(env, session):
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    category = await make_category(session)
    own = await make_product(session, category, name="House blend", price="5")
    await session.commit()
    await env.user(ADMIN_ID).send("/start")
    from keyboards.callback_data import CartAddCb
    from tests.test_checkout import to_summary

    user = env.user(1)
    await user.click(CartAddCb(product_id=tea.id))
    await user.click(CartAddCb(product_id=own.id))
    await to_summary(user)
    reply = await user.press("Confirm")
    # Only an admin can move an order with the shop's own lines and Sam's: they get it
    # whole; Sam gets his line and who ships it.
    [to_admin] = sent_to(reply, ADMIN_ID)
    assert "New order: an admin ships or cancels it." in to_admin.text
    assert "House blend" in to_admin.text and "Tea" in to_admin.text
    [to_sam] = sent_to(reply, 10)
    assert "Tea" in to_sam.text and "House blend" not in to_sam.text
    assert "the shop's admins confirm, ship or cancel it" in to_sam.text
    assert ann is not None


async def test_lines_of_a_seller_who_cannot_hear_go_to_the_admins(env, session):
    """A demo seller (inactive, a negative id no real chat has) or one who blocked the bot:
    their lines go to the admins, and nothing is sent to a chat that can't receive it."""
    _ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    demo = await make_user(session, -1, Role.seller, first_name="Demo", is_active=False)
    category = await make_category(session, "Demo goods")
    sample = await make_product(session, category, name="Sample", price="5", seller=demo)
    await session.commit()
    await env.user(ADMIN_ID).send("/start")
    from keyboards.callback_data import CartAddCb
    from tests.test_checkout import to_summary

    user = env.user(1)
    await user.click(CartAddCb(product_id=tea.id))
    await user.click(CartAddCb(product_id=sample.id))
    await to_summary(user)
    reply = await user.press("Confirm")
    assert sent_to(reply, -1) == []
    [to_admin] = sent_to(reply, ADMIN_ID)
    assert "Sample" in to_admin.text and "Tea" in to_admin.text  # only an admin moves it
    [to_sam] = sent_to(reply, 10)
    assert "Tea" in to_sam.text and "Sample" not in to_sam.text


async def test_an_admins_own_new_order_has_one_cancel_button(env, session):
    """The customer's Cancel and the staff's would be the same button twice: one shows,
    and it asks first."""
    _ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    boss = await make_user(session, ADMIN_ID, Role.admin)
    order = await place(session, boss, [(tea, 1)])
    reply = await env.user(ADMIN_ID).click(OrderCb(id=order.id))
    assert reply.buttons.count("✖️ Cancel the order") == 1 and reply.has_button("Mark shipped")
    reply = await env.user(ADMIN_ID).press("Cancel the order")
    assert "Cancel order #1?" in reply.text
    assert (await fresh(session, Order, order.id)).status is OrderStatus.new


async def test_back_from_an_order_returns_to_its_filtered_page(env, session):
    """All orders, filtered to "new", page 2, an order opened and moved: Back shows that
    list at that page, not the first page of every order."""
    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    for _ in range(10):
        await place(session, ann, [(tea, 1)])
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    await admin.click(OrdersCb(scope=OrderScope.all, status="new"))
    reply = await admin.press("▶")
    assert "2/2" in reply.buttons and reply.has_button("#2 ")
    await admin.press("#2 ")
    reply = await admin.press("Mark shipped")
    assert "shipped" in reply.text
    reply = await admin.press("Orders")
    assert "2/2" in reply.buttons and "• 🆕 new" in reply.buttons
    assert reply.has_button("#1 ") and not reply.has_button("#10 ")


async def test_an_admins_status_changes_are_in_the_audit_log_a_sellers_not(env, session):
    """The audit log keeps admins' actions: an admin shipping or cancelling an order is
    one; the order's own seller marking it is their daily work, not recorded."""
    from models import AuditEntry
    from tests.conftest import ADMIN_ID

    ann, _bob, _sam, _ivan, tea, _cake = await world(session)
    await make_user(session, ADMIN_ID, Role.admin)
    await session.commit()
    first = await place(session, ann, [(tea, 1)])
    second = await place(session, ann, [(tea, 1)])
    await env.user(10).click(OrderCb(id=first.id, action=OrderAction.status, to="shipped"))
    boss = env.user(ADMIN_ID, "Boss")
    await boss.click(OrderCb(id=first.id, action=OrderAction.status, to="delivered"))
    await boss.click(OrderCb(id=second.id, scope=OrderScope.all))
    await boss.press("Cancel the order")
    await boss.press("Yes, cancel it")
    entries = list(
        await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.status").order_by(AuditEntry.id)
        )
    )
    assert [(e.target_id, e.before, e.after) for e in entries] == [
        (first.id, {"status": "shipped"}, {"status": "delivered"}),
        (second.id, {"status": "new"}, {"status": "cancelled"}),
    ]
    await boss.send("/admin")
    text = (await boss.press("Audit log")).text
    assert f"order status changed, order #{second.id}\n   status: 🆕 new → ✖️ cancelled" in text
    assert "status: 🚚 shipped → ✅ delivered" in text
