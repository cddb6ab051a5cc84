"""Cart fixes from review: the screen always fits one Telegram message; /cart, /orders
and /paysupport work inside any dialog."""

from decimal import Decimal

from aiogram.methods import SendMessage
from aiogram.types import ReplyKeyboardRemove

from handlers.states import ReviewStates, SearchStates
from keyboards.callback_data import CartAction, CartAddCb, CartCb
from keyboards.formatting import visible_length
from models import CartItem
from services.cart import MAX_LINES
from services.validation import NAME_MAX
from tests.factories import make_category, make_product, make_user
from tests.test_checkout import shop, to_summary


async def full_cart(session, telegram_id: int, *, stock: int, seen: str) -> None:
    """MAX_LINES products with the longest emoji names, at the highest prices."""
    category = await make_category(session)
    user = await make_user(session, telegram_id, language="ru")
    for n in range(MAX_LINES):
        product = await make_product(
            session, category, name="🍵" * NAME_MAX, price=f"9999999{n:02d}.99", stock=stock
        )
        session.add(
            CartItem(user_id=user.id, product_id=product.id, quantity=99, price=Decimal(seen))
        )
    await session.commit()


async def test_a_full_cart_of_long_emoji_names_with_notes_fits_one_message(env, session):
    # Every line: a changed price and "only 3 in stock".
    await full_cart(session, 1, stock=3, seen="1.00")
    ann = env.user(1, language_code="ru")
    reply = await ann.send("/cart")  # the fake Bot API refuses a text over 4096
    [sent] = reply.of(SendMessage)
    assert visible_length(sent.text) <= 4096
    assert "корзина" in sent.text and f"{MAX_LINES}. " in sent.text
    assert sent.text.count("⚠️") >= 2 * MAX_LINES  # every note is still there, tersely
    assert "Итого" in sent.text
    # The buttons still work on it.
    reply = await ann.click(CartCb(action=CartAction.show))
    assert visible_length(reply.text) <= 4096


async def test_the_cart_with_a_note_above_it_still_fits(env, session):
    """A full cart shown with a note on top (a checkout stopped by sold-out lines): the
    note takes its room from the cart's text, not from Telegram's limit."""
    from sqlalchemy import update

    from models import Product

    category = await make_category(session)
    user = await make_user(session, 1, language="ru")
    for _n in range(MAX_LINES):
        product = await make_product(session, category, name="Щ" * 62, price="1.00", stock=1)
        session.add(CartItem(user_id=user.id, product_id=product.id, quantity=1, price=1))
    await session.commit()
    ann = env.user(1, language_code="ru")
    await ann.click(CartCb(action=CartAction.checkout))
    await ann.send("Ann")
    await ann.send_contact("+7 999 123-45-67")
    await ann.send("Baker Street 221b")
    await session.execute(update(Product).values(stock=0))
    await session.commit()
    reply = await ann.send("Позвоните")  # the comment: the cart instead of the summary
    assert reply.text.startswith("Некоторые товары") and visible_length(reply.text) <= 4096
    assert f"{MAX_LINES}. " in reply.text


async def test_a_full_summary_with_long_address_and_comment_fits(env, session):
    await full_cart(session, 1, stock=100, seen="999999900.99")
    ann = env.user(1, language_code="ru")
    await ann.send("/cart")
    await ann.click(CartCb(action=CartAction.checkout))
    reply = await to_summary(ann, address="🏠" * 300, comment="💬" * 500)
    assert f"{MAX_LINES}. " in reply.text and "💬" in reply.text
    assert visible_length(reply.text) <= 4096


async def in_state(env, user_id: int, state) -> None:
    await env.dp.fsm.get_context(env.bot, chat_id=user_id, user_id=user_id).set_state(state)


async def state_of(env, user_id: int):
    return await env.dp.fsm.get_context(env.bot, chat_id=user_id, user_id=user_id).get_state()


async def test_cart_and_orders_commands_work_inside_other_dialogs(env, session):

    tea = await shop(session, name="Green tea")
    ann = env.user(1)
    await ann.send("/start")
    await ann.click(CartCb(action=CartAction.show))

    await ann.click(CartAddCb(product_id=tea.id))
    # The review dialog's comment step takes any message; /cart comes first.
    await in_state(env, 1, ReviewStates.comment)
    reply = await ann.send("/cart")
    assert "Your cart" in reply.text and "Green tea" in reply.text
    assert await state_of(env, 1) is None
    # The search prompt: /orders.
    await in_state(env, 1, SearchStates.query)
    reply = await ann.send("/orders")
    assert "My orders" in reply.text
    assert await state_of(env, 1) is None


async def test_paysupport_leaves_the_checkout_phone_step(env, session):

    tea = await shop(session, name="Tea")
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartCb(action=CartAction.checkout))
    await ann.send("Ann")  # now on the phone step, with its reply keyboard
    reply = await ann.send("/paysupport")
    assert isinstance(reply.of(SendMessage)[0].reply_markup, ReplyKeyboardRemove)
    assert "Payment support" in reply.text
    assert await state_of(env, 1) == "SupportStates:message"  # the checkout's is left
