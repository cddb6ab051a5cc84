import asyncio
from decimal import Decimal

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendInvoice, SendMessage
from aiogram.types import ReplyKeyboardMarkup, ReplyKeyboardRemove
from sqlalchemy import func, select

from handlers.states import DIALOG
from keyboards.callback_data import CartAction, CartAddCb, CartCb, CheckoutAction, CheckoutCb
from models import CartItem, Order, OrderItem, OrderStatus, PaymentMethod, Product, User
from services.checkout import normalize_phone
from services.errors import DomainError
from services.orders import Contact, OrderService
from tests.factories import make_category, make_product, make_user


async def shop(session, **product):
    category = await make_category(session)
    item = await make_product(session, category, **product)
    await session.commit()
    return item


async def fresh(session, model, **where):
    stmt = select(model).filter_by(**where).execution_options(populate_existing=True)
    return (await session.scalars(stmt)).all()


async def to_summary(user, *, address="Baker Street 221b", comment="Ring twice"):
    await user.click(CartCb(action=CartAction.checkout))
    await user.send("Ann Smith")
    await user.send_contact("+7 999 123-45-67")
    await user.send(address)
    return await user.send(comment)


async def test_the_checkout_heading_is_no_button_label_in_russian(env, session):
    """The cart's button says "Оформить заказ" (do it); the steps' heading named itself
    the same, as one msgid served both."""
    tea = await shop(session, name="Tea", price="100", stock=5)
    ann = env.user(1, language_code="ru")
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.send("/cart")
    reply = await ann.press("Оформить заказ")
    assert "🧾 <b>Оформление заказа</b> · 1/4" in reply.text


async def test_full_checkout_cash_on_delivery(env, session):
    tea = await shop(session, name="Tea", price="100.10", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.send("/cart")
    reply = await ann.press("Checkout")
    assert "1/4" in reply.text and reply.has_button("Back") and reply.has_button("Cancel")
    reply = await ann.send("Ann Smith")
    [prompt] = reply.of(SendMessage)
    assert isinstance(prompt.reply_markup, ReplyKeyboardMarkup)
    assert prompt.reply_markup.keyboard[0][0].request_contact
    reply = await ann.send_contact("+7 999 123-45-67")
    assert isinstance(reply.of(SendMessage)[0].reply_markup, ReplyKeyboardRemove)
    assert "3/4" in reply.text
    reply = await ann.send("Baker Street 221b")
    assert "4/4" in reply.text
    reply = await ann.send("Ring <twice> & knock")
    assert "Check your order" in reply.text and "+79991234567" in reply.text
    assert "Ring &lt;twice&gt; &amp; knock" in reply.text
    assert "on delivery" in reply.text
    reply = await ann.press("Confirm")
    assert "Order #1" in reply.text and "pay on delivery" in reply.text
    assert not reply.of(SendInvoice)
    [order] = await fresh(session, Order)
    assert order.status is OrderStatus.new and order.payment_method is PaymentMethod.cod
    assert (order.contact_name, order.phone, order.address, order.comment) == (
        "Ann Smith",
        "+79991234567",
        "Baker Street 221b",
        "Ring <twice> & knock",
    )
    assert order.total == Decimal("200.20")
    [line] = await fresh(session, OrderItem)
    assert (line.name, line.unit_price, line.quantity) == ("Tea", Decimal("100.10"), 2)
    [product] = await fresh(session, Product)
    assert product.stock == 3
    assert await fresh(session, CartItem) == []
    # The dialog is over: text goes to the fallback again.
    assert "didn't understand" in (await ann.send("hello")).text


async def test_later_price_changes_do_not_touch_the_order(env, session):
    tea = await shop(session, name="Tea", price="100")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    await ann.press("Confirm")
    tea.price, tea.name = Decimal("999"), "Renamed"
    await session.commit()
    [line] = await fresh(session, OrderItem)
    assert (line.name, line.unit_price) == ("Tea", Decimal("100"))
    await ann.send("/orders")
    card = (await ann.press("#1")).text
    assert "1. Tea: 1 × " in card and "Renamed" not in card and "999.00" not in card


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("+7 (999) 123-45-67", "+79991234567"),
        ("89991234567", "+79991234567"),  # a Russian mobile as dialled at home
        ("8 (999) 123-45-67", "+79991234567"),
        ("84951234567", "+84951234567"),  # Moscow's 8 495, or Vietnam's 84: as typed
        ("８９９９１２３４５６７", "+79991234567"),  # full-width digits are digits
        ("+441234567890", "+441234567890"),
        ("12345", None),
        ("+1234567890123456", None),
        ("call me", None),
        ("+7 999 abc 4567", None),
    ],
)
def test_phone_validation(text, phone):
    assert normalize_phone(text) == phone


async def test_every_bad_input_keeps_the_step(env, session):
    tea = await shop(session)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartCb(action=CartAction.checkout))
    # name
    assert "name as text" in (await ann.send_sticker()).text
    assert "up to 64" in (await ann.send("x" * 65)).text
    # phone
    await ann.send("Ann")
    assert "10 to 15 digits" in (await ann.send("12-34")).text
    assert "phone number" in (await ann.send_photo()).text
    reply = await ann.send_contact("+79991234567", own=False)
    assert "your own number" in reply.text
    # address
    await ann.send("+79991234567")
    assert "5 to 300" in (await ann.send("abc")).text
    assert "address as text" in (await ann.send_sticker()).text
    # comment
    await ann.send("Main street 1")
    assert "up to 500" in (await ann.send("y" * 501)).text
    assert "comment as text" in (await ann.send_photo()).text
    # summary
    await ann.press("No comment")
    reply = await ann.send("yes")  # the hint, with the summary's buttons
    assert reply.texts == ["Please use the buttons."] and reply.has_button("Confirm")
    reply = await ann.press("Confirm")
    [order] = await fresh(session, Order)
    assert (order.contact_name, order.phone, order.address, order.comment) == (
        "Ann",
        "+79991234567",
        "Main street 1",
        None,
    )
    assert "Order #1" in reply.text


async def test_back_walks_the_steps_and_cancel_keeps_the_cart(env, session):
    tea = await shop(session, name="Tea")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    assert "4/4" in (await ann.press("Back")).text
    assert "3/4" in (await ann.press("Back")).text
    reply = await ann.press("Back")
    assert "2/4" in reply.text
    reply = await ann.send("⬅️ Back")
    assert isinstance(reply.of(SendMessage)[0].reply_markup, ReplyKeyboardRemove)
    assert "1/4" in reply.text
    reply = await ann.press("Back")
    assert "Your cart" in reply.text
    # Cancel from the phone step's reply keyboard
    await ann.press("Checkout")
    await ann.send("Ann")
    reply = await ann.send("✖️ Cancel")
    assert "cancelled" in reply.texts[0] and "Tea" in reply.text
    # ...and the inline Cancel anywhere else.
    await to_summary(ann)
    reply = await ann.press("Cancel")
    assert "Cancelled" in reply.text
    assert await fresh(session, Order) == []
    assert len(await fresh(session, CartItem)) == 1


async def test_edit_goes_back_to_the_name(env, session):
    tea = await shop(session)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    assert "1/4" in (await ann.press("Edit")).text
    await to_summary(ann, address="Other street 5")
    await ann.press("Confirm")
    [order] = await fresh(session, Order)
    assert order.address == "Other street 5"


async def test_back_from_edit_returns_to_the_summary(env, session):
    """Edit, then Back on its first step: the summary again, nothing typed lost."""
    tea = await shop(session)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    await ann.press("Edit")
    reply = await ann.press("Back")
    assert reply.has_button("Confirm") and "Baker Street 221b" in reply.text
    await ann.press("Confirm")
    [order] = await fresh(session, Order)
    assert (order.contact_name, order.address) == ("Ann Smith", "Baker Street 221b")


async def test_edit_shows_every_answer_with_keep_so_only_the_address_is_retyped(env, session):
    tea = await shop(session)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    reply = await ann.press("Edit")
    assert "1/4" in reply.text and "Ann Smith" in reply.text and reply.has_button("Keep")
    reply = await ann.press("Keep")
    [prompt] = [m for m in reply.of(SendMessage) if "2/4" in m.text]
    assert "+79991234567" in prompt.text
    assert [b.text for b in prompt.reply_markup.keyboard[1]] == ["✅ Keep"]
    reply = await ann.send("✅ Keep")
    assert "3/4" in reply.text and "Baker Street 221b" in reply.text
    reply = await ann.send("Other street 5")
    assert "4/4" in reply.text and "Ring twice" in reply.text
    reply = await ann.press("Keep")
    assert "Check your order" in reply.text and "Other street 5" in reply.text
    # A bad input on a step answered before keeps its Keep.
    await ann.press("Edit")
    reply = await ann.send_sticker()
    assert "name as text" in reply.text and reply.has_button("Keep")
    await ann.press("Keep")
    await ann.send("✅ Keep")
    await ann.press("Keep")
    await ann.press("Keep")
    await ann.press("Confirm")
    [order] = await fresh(session, Order)
    assert (order.contact_name, order.phone, order.address, order.comment) == (
        "Ann Smith",
        "+79991234567",
        "Other street 5",
        "Ring twice",
    )


INVISIBLE = ["\u200b", "\u200b\u200c\u200d\u2060\ufeff", "\u3164", "\u2800 \u00a0", "\u202e\u202c"]


@pytest.mark.parametrize("blank", INVISIBLE, ids=ascii)
async def test_invisible_answers_are_refused_at_every_step(env, session, blank):
    tea = await shop(session)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartCb(action=CartAction.checkout))
    reply = await ann.send(blank)
    assert "Please send a name" in reply.text and "2/4" not in reply.text
    await ann.send("Ann Smith")
    await ann.send_contact("+7 999 123-45-67")
    reply = await ann.send(blank * 5)  # long enough for an address, still nothing
    assert "Please send an address" in reply.text and "4/4" not in reply.text
    await ann.send("Baker Street 221b")
    reply = await ann.send(blank)
    assert "No comment" in reply.text and "Check your order" not in reply.text
    reply = await ann.press("No comment")
    assert "Recipient: Ann Smith" in reply.text and "Comment" not in reply.text


async def test_pickup_only_when_the_shop_offers_it(make_env, settings, session):
    tea = await shop(session)
    ann = make_env(settings).user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartCb(action=CartAction.checkout))
    await ann.send("Ann")
    reply = await ann.send("+79991234567")
    assert not reply.has_button("pick it up")
    assert "offer pickup" in (await ann.click(CheckoutCb(action=CheckoutAction.pickup))).alert

    pickup = settings.model_copy(update={"pickup_available": True})
    ann = make_env(pickup).user(1)
    await ann.click(CheckoutCb(action=CheckoutAction.back))
    reply = await ann.send("+79991234567")
    assert reply.has_button("pick it up")
    await ann.press("pick it up")
    reply = await ann.press("No comment")
    assert "Delivery: pickup" in reply.text
    await ann.press("Confirm")
    [order] = await fresh(session, Order)
    assert order.address is None


async def test_empty_cart_cannot_check_out(env):
    reply = await env.user(1).click(CartCb(action=CartAction.checkout))
    assert reply.alert == "Your cart is empty."


async def test_out_of_stock_at_confirm_rolls_everything_back(env, session):
    tea = await shop(session, name="Tea", stock=5)
    cake = await shop(session, name="Cake", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartAddCb(product_id=cake.id))
    await to_summary(ann)
    cake.stock = 0
    await session.commit()
    reply = await ann.press("Confirm")
    assert reply.alert == "Some items can't be ordered as they are: see the cart."
    assert "Cake" in reply.text and "Sold out" in reply.text  # the cart says which
    assert await fresh(session, Order) == []
    stocks = {p.name: p.stock for p in await fresh(session, Product)}
    assert stocks == {"Tea": 5, "Cake": 0}
    assert len(await fresh(session, CartItem)) == 2


async def test_an_order_past_what_a_total_can_hold_is_refused_not_a_crash(env, session):
    """A total over 9 999 999 999.99 (the column's: PostgreSQL would refuse the row) is
    refused with what to do, and nothing is ordered."""
    car = await shop(session, name="Car", price="9000000000", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=car.id))
    await ann.click(CartAddCb(product_id=car.id))
    await to_summary(ann)
    reply = await ann.press("Confirm")
    assert reply.alert == "This order is too large to place at once: split it into smaller ones."
    assert await fresh(session, Order) == []
    [product] = await fresh(session, Product)
    assert product.stock == 5


async def test_a_price_raised_during_the_checkout_is_pointed_out_on_the_summary(env, session):
    """The cart says "was RUB 100.00"; the summary quietly showed the new price."""
    tea = await shop(session, name="Tea", price="100")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartCb(action=CartAction.checkout))
    await ann.send("Ann Smith")
    tea.price = Decimal("120")
    await session.commit()
    await ann.send_contact("+7 999 123-45-67")
    await ann.send("Baker Street 221b")
    reply = await ann.send("Ring twice")
    assert "1. Tea: 1 × RUB\xa0120.00 (⚠️ was RUB\xa0100.00) = RUB\xa0120.00" in reply.text
    # Seen once: the summary shown again doesn't say it again.
    await ann.press("Back")
    reply = await ann.press("No comment")
    assert "120.00" in reply.text and "was" not in reply.text


async def test_price_change_after_the_summary_is_refused(env, session):
    tea = await shop(session, name="Tea", price="100")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    tea.price = Decimal("120")
    await session.commit()
    reply = await ann.press("Confirm")
    assert "Prices have changed" in reply.alert
    assert await fresh(session, Order) == []
    # The new summary shows the new price, and then Confirm works.
    reply = await ann.press("Back")
    reply = await ann.press("No comment")
    assert "120" in reply.text
    await ann.press("Confirm")
    [order] = await fresh(session, Order)
    assert order.total == Decimal("120")


async def test_hidden_after_the_summary_is_refused(env, session):
    tea = await shop(session, name="Tea")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    tea.is_active = False
    await session.commit()
    reply = await ann.press("Confirm")
    assert reply.alert == "Some items can't be ordered as they are: see the cart."
    assert "⛔" in reply.text and not reply.has_button("Confirm")  # the cart, not the summary
    assert await fresh(session, Order) == []
    reply = await ann.send("Ring twice")  # the dialog is over: no step takes this
    assert "Please use the buttons" not in reply.text


async def test_hidden_before_the_summary_shows_the_cart_not_a_summary(env, session):
    """A product hidden while the customer typed the address: the comment step leads to
    the cart, which marks the line, not to a summary whose total leaves it out."""
    tea = await shop(session, name="Tea")
    cake = await shop(session, name="Cake")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartAddCb(product_id=cake.id))
    await ann.click(CartCb(action=CartAction.checkout))
    await ann.send("Ann Smith")
    await ann.send_contact("+7 999 123-45-67")
    await ann.send("Baker Street 221b")
    tea.is_active = False
    cake.price = Decimal("103")
    await session.commit()
    reply = await ann.send("Ring twice")
    assert "Some items can't be ordered as they are: see the cart." in reply.text
    assert "⛔" in reply.text and not reply.has_button("Confirm")
    assert "Price changed" in reply.text  # not taken as seen: no summary showed it
    # Nothing typed is lost: once the line is removed, Checkout offers each answer again.
    await ann.click(CartCb(action=CartAction.remove, product_id=tea.id))
    reply = await ann.press("Checkout")
    assert "Now: Ann Smith" in reply.text and reply.has_button("Keep")
    await ann.press("Keep")
    reply = await ann.send("✅ Keep")  # the phone step's reply keyboard
    assert "Baker Street 221b" in reply.text and reply.has_button("Keep")
    await ann.press("Keep")
    reply = await ann.press("Keep")
    assert "Confirm" in " ".join(reply.buttons) and "Ring twice" in reply.text
    assert "+79991234567" in reply.text and "Cake" in reply.text


async def test_a_cart_emptied_from_another_message_ends_the_summary(env, session):
    tea = await shop(session, name="Tea")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    summary = ann.last_bot_message
    await ann.click(CartCb(action=CartAction.clear), env.api.old_message(1))
    reply = await ann.click(ann.find_button("Confirm", summary), summary)
    assert reply.alert == "Your order is already placed, or your cart is empty."
    assert "Your cart is empty" in reply.text and not reply.has_button("Confirm")
    assert await fresh(session, Order) == []


# -- the oversell race ----------------------------------------------------------------------------


async def test_fifty_checkouts_for_ten_units_sell_exactly_ten(pool, session):
    category = await make_category(session)
    product = await make_product(session, category, price="10", stock=10)
    users = [await make_user(session, 5000 + n) for n in range(50)]
    for user in users:
        session.add(
            CartItem(user_id=user.id, product_id=product.id, quantity=1, price=product.price)
        )
    await session.commit()
    contact = Contact("Ann", "+79991234567", "Street 1", None)

    async def buy(user):
        async with pool() as s, s.begin():
            await OrderService(s).checkout(user, contact, PaymentMethod.cod, "RUB")

    results = await asyncio.gather(*(buy(u) for u in users), return_exceptions=True)
    sold = [r for r in results if r is None]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(sold) == 10 and len(refused) == 40, [
        r for r in results if r and not isinstance(r, DomainError)
    ]
    assert await session.scalar(select(func.count()).select_from(Order)) == 10
    assert await session.scalar(select(func.sum(OrderItem.quantity))) == 10
    [row] = await fresh(session, Product)
    assert row.stock == 0
    # The losers keep their carts, the winners' carts are empty.
    assert await session.scalar(select(func.count()).select_from(CartItem)) == 40


async def test_racing_checkouts_through_the_bot(env, session):
    tea = await shop(session, name="Tea", stock=3)
    buyers = [env.user(100 + n) for n in range(8)]
    for b in buyers:
        await b.click(CartAddCb(product_id=tea.id))
        await to_summary(b)
    start = len(env.api.requests)
    await asyncio.gather(*(b.press("Confirm") for b in buyers))
    # Concurrent updates interleave their calls, so count over all of them.
    calls = env.api.requests[start:]
    won = [c for c in calls if isinstance(c, EditMessageText) and "Order #" in c.text]
    lost = [
        c
        for c in calls
        if isinstance(c, AnswerCallbackQuery) and c.text and "no longer available" in c.text
    ]
    assert (len(won), len(lost)) == (3, 5)
    [row] = await fresh(session, Product)
    assert row.stock == 0
    assert len(await fresh(session, Order)) == 3


async def test_a_summary_without_its_answers_starts_over(env, session):
    tea = await shop(session)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    context = env.dp.fsm.get_context(env.bot, chat_id=1, user_id=1)
    await context.set_data({"name": "Ann", DIALOG: (await context.get_data())[DIALOG]})
    reply = await ann.press("Confirm")
    assert "1/4" in reply.text
    assert await fresh(session, Order) == []


async def test_multi_line_orders_racing_in_opposite_orders(pool, session):
    """Carts holding A then B and B then A: no deadlock, no oversell, all or nothing."""
    category = await make_category(session)
    a = await make_product(session, category, price="1", stock=10)
    b = await make_product(session, category, price="2", stock=10)
    users = [await make_user(session, 7000 + n) for n in range(30)]
    for n, user in enumerate(users):
        first, second = (a, b) if n % 2 else (b, a)
        for product in (first, second):
            session.add(
                CartItem(user_id=user.id, product_id=product.id, quantity=1, price=product.price)
            )
            await session.flush()
    await session.commit()
    contact = Contact("Ann", "+79991234567", None, None)

    async def buy(user):
        async with pool() as s, s.begin():
            await OrderService(s).checkout(user, contact, PaymentMethod.cod, "RUB")

    results = await asyncio.gather(*(buy(u) for u in users), return_exceptions=True)
    unexpected = [r for r in results if r is not None and not isinstance(r, DomainError)]
    assert unexpected == []
    assert results.count(None) == 10
    stocks = [p.stock for p in await fresh(session, Product)]
    assert stocks == [0, 0]
    assert await session.scalar(select(func.count()).select_from(OrderItem)) == 20


@pytest.mark.parametrize("leave", ["/cancel", "/start", "/catalog", "/search tea", "/start p1"])
async def test_leaving_the_phone_step_by_command_removes_its_keyboard(env, session, leave):
    tea = await shop(session, name="Tea")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartCb(action=CartAction.checkout))
    await ann.send("Ann")
    reply = await ann.send(leave)
    first = reply.of(SendMessage)[0]
    assert isinstance(first.reply_markup, ReplyKeyboardRemove)
    assert len(reply.of(SendMessage)) == 2
    # Out of the dialog, a second /cancel has nothing left to do.
    assert (await ann.send("/cancel")).text == "There is nothing to cancel."


async def test_confirm_on_an_earlier_checkouts_summary_is_out_of_date(env, session):
    """Confirm under the summary of a checkout begun again since (another address)
    would order with what the customer did not see there: out of date, no order; the
    new summary's Confirm orders to the new address."""
    tea = await shop(session, name="Tea")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann, address="Old Street 1")
    old = ann.last_bot_message
    await to_summary(ann, address="New Street 2")
    reply = await ann.click(ann.find_button("Confirm", old), old)
    assert "out of date" in (reply.alert or "")
    assert await fresh(session, Order) == []
    await ann.press("Confirm")
    [order] = await fresh(session, Order)
    assert order.address == "New Street 2"


async def test_an_address_may_start_with_a_slash(env, session):
    tea = await shop(session)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    reply = await to_summary(ann, address="/2 Baker Street, flat 3")
    assert "/2 Baker Street, flat 3" in reply.text and reply.has_button("Confirm")
    await ann.press("Confirm")
    [order] = await fresh(session, Order)
    assert order.address == "/2 Baker Street, flat 3"


async def test_a_word_at_the_summary_changes_nothing_it_showed(env, session):
    """A typed word at the summary gets the hint and its buttons; it does not quietly take
    a price raised since, so Confirm still says prices have changed."""
    tea = await shop(session, name="Tea", price="100", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    summary = ann.last_bot_message
    tea.price = Decimal("150")
    await session.commit()
    reply = await ann.send("ok?")
    assert reply.texts == ["Please use the buttons."]
    reply = await ann.click(ann.find_button("Confirm", summary), summary)
    assert "Prices have changed" in reply.alert
    assert await fresh(session, Order) == []


async def test_a_checkout_left_for_a_command_offers_its_answers_once(env, session):
    """/cart mid-checkout leaves the dialog; the next Checkout offers the answers given
    with Keep. Once an order is placed, the checkout after it starts afresh."""
    tea = await shop(session, name="Tea", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartCb(action=CartAction.checkout))
    await ann.send("Ann Smith")
    await ann.send_contact("+7 999 123-45-67")
    await ann.send("/cart")
    reply = await ann.click(CartCb(action=CartAction.checkout))
    assert "Now: Ann Smith" in reply.text and reply.has_button("Keep")
    await ann.press("Keep")
    await ann.send("✅ Keep")
    await ann.send("Baker Street 221b")
    await ann.press("No comment")
    await ann.press("Confirm")
    await ann.click(CartAddCb(product_id=tea.id))
    reply = await ann.click(CartCb(action=CartAction.checkout))
    assert "Now:" not in reply.text and not reply.has_button("Keep")


@pytest.mark.parametrize("way", ["back to the cart", "the phone step's Cancel key"])
async def test_leaving_checkout_to_fix_the_cart_keeps_the_answers(env, session, way):
    """Back from the first step (the way to fix a quantity) and the phone keyboard's
    Cancel dropped every answer; like the inline Cancel, they now wait for Checkout."""
    tea = await shop(session, name="Tea", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    if way == "back to the cart":
        for _step in range(3):
            await ann.press("Back")
        await ann.send("⬅️ Back")  # the phone step's reply keyboard
        reply = await ann.press("Back")
        assert "Tea" in reply.text and reply.has_button("Checkout")
        await ann.press("➕")
    else:
        await ann.send("/cart")
        await ann.press("Checkout")
        await ann.press("Keep")  # to the phone step
        reply = await ann.send("✖️ Cancel")
        assert isinstance(reply.of(SendMessage)[0].reply_markup, ReplyKeyboardRemove)
    reply = await ann.press("Checkout")
    assert "Now: Ann Smith" in reply.text and reply.has_button("Keep")


async def at_the_phone_step(env, session):
    """A customer with a tea in the cart, past the name step: the phone step's reply
    keyboard is on screen."""
    tea = await shop(session, name="Tea", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartCb(action=CartAction.checkout))
    await ann.send("Ann Smith")
    return ann


async def ban(session, telegram_id):
    [row] = await fresh(session, User, telegram_id=telegram_id)
    row.is_banned = True
    await session.commit()


async def test_a_shared_contact_with_a_bad_number_keeps_the_steps_keyboard(env, session):
    """The phone step's keyboard hides after a press: the retry brings it back."""
    ann = await at_the_phone_step(env, session)
    reply = await ann.send_contact("12")
    [retry] = reply.of(SendMessage)
    assert "doesn't look right" in retry.text
    assert isinstance(retry.reply_markup, ReplyKeyboardMarkup)


async def test_a_user_banned_at_the_phone_step_loses_its_keyboard(env, session):
    """The dialog ends with the ban; so does the phone step's reply keyboard, which
    stayed on screen for good (and after an unban its keys meant nothing)."""
    ann = await at_the_phone_step(env, session)
    await ban(session, 1)
    reply = await ann.send("+79991234567")
    [notice] = reply.of(SendMessage)
    assert notice.text == "You are banned from this shop."
    assert isinstance(notice.reply_markup, ReplyKeyboardRemove)
    assert not (await fresh(session, Order))


async def test_banned_at_the_phone_step_then_a_button_is_told_once(env, session):
    """The keyboard goes with a message saying why; the press gets no second alert."""
    ann = await at_the_phone_step(env, session)
    await ban(session, 1)
    reply = await ann.click(CartCb(action=CartAction.checkout))
    [notice] = reply.of(SendMessage)
    assert notice.text == "You are banned from this shop."
    assert isinstance(notice.reply_markup, ReplyKeyboardRemove)
    assert not reply.alert


async def test_cancel_on_an_old_step_after_the_order_is_placed_claims_nothing(env, session):
    """An old checkout step's Cancel, pressed after the order was placed, answered
    "Cancelled.": the customer read their order as cancelled. Now nothing is claimed."""
    tea = await shop(session, name="Tea", price="100", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartCb(action=CartAction.checkout))
    await ann.send("Ann Smith")
    await ann.send_contact("+7 999 123-45-67")
    old_step = ann.last_bot_message
    await ann.send("Baker Street 221b")
    await ann.send("Ring twice")
    assert "Order #1" in (await ann.press("Confirm")).text
    reply = await ann.click(ann.find_button("Cancel", old_step), old_step)
    assert reply.text == "Nothing was changed." and reply.has_button("Catalog")
    [order] = await fresh(session, Order)
    assert order.status is OrderStatus.new
