"""Orders fixes from review: forged page numbers, whole-order moves by one seller."""

from keyboards.callback_data import OrderAction, OrderCb, OrdersCb, OrderScope
from models import Order, OrderStatus, Product, Role
from services.paging import MAX_PAGE
from tests.conftest import ADMIN_ID
from tests.factories import make_user
from tests.test_orders import fresh, place, world


async def test_forged_huge_pages_show_the_last_page(env, session):
    ann, *_rest, tea, _cake = await world(session)
    await place(session, ann, [(tea, 1)])
    await make_user(session, ADMIN_ID, Role.admin)
    await session.commit()
    user = env.user(1)
    for page in (2**31 - 1, MAX_PAGE + 1):
        reply = await user.click(OrdersCb(scope=OrderScope.mine, page=page))
        assert "My orders" in user.shown_text and not reply.alert, page
        shown = " ".join(user.shown_buttons)
        assert "#1 " in shown and "◀" not in shown, page
    await user.click(OrdersCb(scope=OrderScope.mine, page=-(2**31) + 1))
    assert "Choose an order:" in user.shown_text and "#1 " in " ".join(user.shown_buttons)
    # Past INTEGER the data doesn't even unpack: an out-of-date button, not an error.
    reply = await user.click(f"ols:mine::{2**62}")
    assert "went wrong" not in (reply.alert or "") + reply.text
    admin = env.user(ADMIN_ID)
    reply = await admin.click(OrdersCb(scope=OrderScope.all, status="new", page=2**31 - 1))
    assert "All orders" in reply.text and not reply.alert
    reply = await admin.click(OrdersCb(scope=OrderScope.all, page=-5))
    assert "#1 " in " ".join(reply.buttons)


async def test_a_seller_cannot_move_an_order_with_another_sellers_lines(env, session):
    ann, _bob, _sam, _ivan, tea, cake = await world(session)
    shared = await place(session, ann, [(tea, 1), (cake, 2)])
    own = await place(session, ann, [(tea, 3)])
    await make_user(session, ADMIN_ID, Role.admin)
    await session.commit()
    sam = env.user(10)
    # Sam sees his line of the shared order, but no buttons to move the whole order...
    reply = await sam.click(OrderCb(id=shared.id, scope=OrderScope.sales))
    assert "Tea" in reply.text and "Cake" not in reply.text
    assert not reply.has_button("Mark shipped") and not reply.has_button("Cancel the order")
    # ...and forged ones are refused by the service.
    for to in ("cancelled", "shipped"):
        action = OrderCb(id=shared.id, action=OrderAction.status, to=to, scope=OrderScope.sales)
        assert (await sam.click(action)).alert == "Not allowed."
    assert (await fresh(session, Order, shared.id)).status is OrderStatus.new
    assert (await fresh(session, Product, cake.id)).stock == 8
    # His own order he still ships; the admin moves any order.
    reply = await sam.click(OrderCb(id=own.id, scope=OrderScope.sales))
    assert reply.has_button("Mark shipped")
    await sam.press("Mark shipped")
    assert (await fresh(session, Order, own.id)).status is OrderStatus.shipped
    admin = env.user(ADMIN_ID)
    await admin.click(OrderCb(id=shared.id, scope=OrderScope.all))
    await admin.press("Cancel the order")
    await admin.press("Yes, cancel it")
    assert (await fresh(session, Order, shared.id)).status is OrderStatus.cancelled
    assert (await fresh(session, Product, cake.id)).stock == 10


async def test_the_shops_own_lines_go_only_to_admins_who_can_act(session):
    from services.orders import OrderService
    from tests.factories import make_category, make_product

    ann = await make_user(session, 1)
    admin = await make_user(session, ADMIN_ID, Role.admin)
    await make_user(session, 2001, Role.admin, is_banned=True)
    await make_user(session, 2002, Role.admin, is_active=False)
    tea = await make_product(session, await make_category(session), name="Tea")  # no seller
    await session.commit()
    order = await place(session, ann, [(tea, 1)])
    order = await OrderService(session).get(admin, order.id)
    told = [
        (user.telegram_id, [i.name for i in items])
        for user, items in await OrderService(session).sellers(order)
    ]
    assert told == [(ADMIN_ID, ["Tea"])]


async def test_a_two_seller_cash_order_says_the_shop_confirms_it_and_admins_hear(env, session):
    """Sam can't ship an order that also holds Ivan's cake: his card must not promise
    "the seller's confirmation", and the admins, who alone can ship it, are told."""
    from keyboards.callback_data import CartAddCb
    from tests.test_checkout import to_summary
    from tests.test_orders import sent_to

    _ann, _bob, _sam, _ivan, tea, cake = await world(session)
    await make_user(session, ADMIN_ID, Role.admin)
    await session.commit()
    user = env.user(1)
    await user.click(CartAddCb(product_id=tea.id))
    await user.click(CartAddCb(product_id=cake.id))
    await to_summary(user)
    reply = await user.press("Confirm")
    assert "Waits for the shop's confirmation" in reply.text
    [to_admin] = sent_to(reply, ADMIN_ID)
    assert "New order: an admin ships or cancels it." in to_admin.text
    assert "Tea" in to_admin.text and "Cake" in to_admin.text
    [to_sam] = sent_to(reply, 10)
    assert "seller's confirmation" not in to_sam.text
    card = await env.user(10).press("Open the order")
    assert "Waits for the shop's confirmation" in card.text
    assert "the shop's admins confirm, ship or cancel it" in card.text
    assert "Your lines: RUB\xa0100.00" in card.text and not card.has_button("Mark shipped")
    # The admin's notice opens the order with the buttons to move it.
    card = await env.user(ADMIN_ID).press("Open the order")
    assert card.has_button("Mark shipped") and "Total: RUB\xa0350.00" in card.text
    await env.user(ADMIN_ID).press("Mark shipped")
    assert (await fresh(session, Order, 1)).status is OrderStatus.shipped
