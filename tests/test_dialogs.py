"""How dialogs begin and end, across features: the admin's and seller's dialogs keep the
saved search, beginning any dialog takes away checkout's phone keyboard, and /promote
with wrong arguments leaves no dialog open."""

import pytest
from aiogram.methods import SendMessage
from aiogram.types import ReplyKeyboardMarkup, ReplyKeyboardRemove

from handlers.states import AdminStates, CheckoutStates
from keyboards.callback_data import (
    AdminAction,
    AdminCategoryAction,
    AdminCategoryCb,
    AdminCb,
    BroadcastCb,
    CartAction,
    CartAddCb,
    CartCb,
    MenuAction,
    MenuCb,
    ReviewStartCb,
    SearchCb,
)
from keyboards.callback_owner import AdminPromoCb, PromoAction
from keyboards.callback_seller import SellerAction, SellerCb
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product


@pytest.fixture
async def admin(env):
    boss = env.user(ADMIN_ID, "Boss", username="boss")
    await boss.send("/start")
    await env.user(5, "Ann", username="ann_shop").send("/start")
    return boss


async def _searched(user, session, settings):
    """Searched, paged to 2 and opened a result: its card (Back leads to page 2)."""
    cat = await make_category(session, "Lamps")
    for i in range(settings.page_size + 2):
        await make_product(session, cat, f"Lamp {i:02}", description="лампа")
    await session.commit()
    await user.send("/search lamp")
    await user.press("▶")
    await user.press("Lamp 00")
    return user.last_bot_message


async def _find_user(u):
    await u.send("/admin")
    await u.press("Users and roles")
    assert "Role: customer" in (await u.send("5")).text


async def _new_category(u):
    await u.send("/admin")
    await u.press("Categories")
    await u.press("New category")
    assert "Category created" in (await u.send("Tea")).texts[0]


async def _rename_category_cancelled(u):
    await u.send("/admin")
    await u.press("Categories")
    await u.press("Lamps")
    await u.press("Rename")
    await u.press("Cancel")


async def _new_promo_cancelled(u):
    await u.send("/promocodes")
    await u.press("New promo code")
    await u.send("SPRING")
    await u.press("Cancel")


async def _broadcast_cancelled(u):
    await u.send("/broadcast")
    await u.press("Cancel")


async def _seller_add_back(u):
    await u.send("/seller")
    await u.press("Add product")
    assert "Seller panel" in (await u.press("Back")).text  # before the first step


async def _seller_add_cancelled(u):
    await u.send("/seller")
    await u.press("Add product")
    await u.press("Lamps")
    await u.send("Desk lamp")
    await u.send("/cancel")


async def _promote_wrong(u):
    await u.send("/admin")
    await u.press("Users and roles")
    assert "Usage" in (await u.send("/promote 5")).text


FLOWS = {
    "admin: find a user": _find_user,
    "admin: new category": _new_category,
    "admin: rename a category, Cancel": _rename_category_cancelled,
    "admin: new promo code, Cancel": _new_promo_cancelled,
    "admin: broadcast, Cancel": _broadcast_cancelled,
    "seller: add a product, Back": _seller_add_back,
    "seller: add a product, /cancel": _seller_add_cancelled,
    "admin: /promote with wrong arguments mid-dialog": _promote_wrong,
}


@pytest.mark.parametrize("flow", FLOWS)
async def test_admin_and_seller_dialogs_keep_the_saved_search(admin, session, settings, flow):
    """A staff member who searched, then did some admin or seller work, still gets back
    to the results with Back on a result's card."""
    card = await _searched(admin, session, settings)
    await FLOWS[flow](admin)
    reply = await admin.click(admin.find_button("Back", card), card)
    assert "Results for «lamp»" in reply.text and reply.has_button("2/2"), reply.text


# Buttons in older messages that begin a dialog; pressed on checkout's phone step.
BEGIN_A_DIALOG = {
    "admin: find a user": AdminCb(action=AdminAction.find),
    "admin: new category": AdminCategoryCb(action=AdminCategoryAction.new),
    "admin: new promo code": AdminPromoCb(action=PromoAction.new),
    "admin: broadcast": BroadcastCb(action="new"),
    "seller: add a product": SellerCb(action=SellerAction.add),
    "the cart's Checkout again": CartCb(action=CartAction.checkout),
    "a page of a search no longer saved": SearchCb(page=2),
}


@pytest.mark.parametrize("button", BEGIN_A_DIALOG)
async def test_beginning_a_dialog_takes_away_the_phone_steps_keyboard(admin, session, env, button):
    """The "Share my phone" keyboard goes when a dialog begins from an old message's
    button, as when a command leaves the phone step."""
    tea = await make_product(session, await make_category(session), "Tea")
    await session.commit()
    await admin.click(CartAddCb(product_id=tea.id))
    await admin.click(CartCb(action=CartAction.checkout))
    reply = await admin.send("Boss")
    assert isinstance(reply.of(SendMessage)[0].reply_markup, ReplyKeyboardMarkup)
    reply = await admin.click(BEGIN_A_DIALOG[button], env.api.old_message(ADMIN_ID))
    first = reply.of(SendMessage)[0]
    assert first.text == "Cancelled." and isinstance(first.reply_markup, ReplyKeyboardRemove)
    assert len(reply.texts) >= 2  # and the dialog's first step
    context = env.dp.fsm.get_context(env.bot, chat_id=ADMIN_ID, user_id=ADMIN_ID)
    assert await context.get_state() not in (CheckoutStates.phone.state, None)


@pytest.mark.parametrize("args", ["", "5", "5 seller extra", "5 king", "@nobody seller"])
async def test_promote_with_wrong_arguments_leaves_no_dialog(admin, session, env, args):
    """Sent in the middle of a dialog, /promote with wrong arguments says what is wrong
    and ends the dialog: the next message is not taken as the step's answer."""
    await admin.send("/admin")
    await admin.press("Users and roles")
    context = env.dp.fsm.get_context(env.bot, chat_id=ADMIN_ID, user_id=ADMIN_ID)
    assert await context.get_state() == AdminStates.find_user.state
    reply = await admin.send(f"/promote {args}".strip())
    expected = {"": "Usage", "5": "Usage", "5 seller extra": "Usage", "5 king": "Unknown role"}
    assert expected.get(args, "Nobody with this username") in reply.text
    assert await context.get_state() is None
    reply = await admin.send("5")  # no longer the find step's answer
    assert "Role: customer" not in reply.text and "didn't understand" in reply.text


async def test_a_refused_promote_leaves_the_dialog(admin, session, env, settings):
    """/promote sent mid-dialog and refused by the role change (the last admin making
    themselves a customer): the refusal is answered, the dialog is left all the same (the
    next message is no step's answer) and the saved search is kept."""
    await _searched(admin, session, settings)
    await admin.send("/admin")
    await admin.press("Users and roles")
    context = env.dp.fsm.get_context(env.bot, chat_id=ADMIN_ID, user_id=ADMIN_ID)
    assert await context.get_state() == AdminStates.find_user.state
    reply = await admin.send("/promote @boss customer")
    assert "last admin" in reply.text
    assert await context.get_state() is None
    assert (await context.get_data()).get("search")  # the saved search stays
    reply = await admin.send("5")  # no longer the find step's answer
    assert "Role: customer" not in reply.text and "didn't understand" in reply.text
    assert "Admin panel" in (await admin.send("/admin")).text  # still an admin


async def _checkout_name_step(u, session):
    tea = await make_product(session, await make_category(session), "Tea")
    await session.commit()
    await u.click(CartAddCb(product_id=tea.id))
    await u.click(CartCb(action=CartAction.checkout))


async def _review_grade_step(u, session):
    tea = await make_product(session, await make_category(session), "Tea")
    await session.commit()
    await u.click(ReviewStartCb(product_id=tea.id))


async def _search_step(u, session):
    await u.click(MenuCb(action=MenuAction.search))


@pytest.mark.parametrize("dialog", [_checkout_name_step, _review_grade_step, _search_step])
async def test_a_deep_link_mid_dialog_opens_the_shop(admin, session, env, dialog):
    """A link to the bot with a parameter no feature knows, followed mid-dialog, opens
    the shop as /start does, whichever dialog was on."""
    await dialog(admin, session)
    context = env.dp.fsm.get_context(env.bot, chat_id=ADMIN_ID, user_id=ADMIN_ID)
    assert await context.get_state() is not None
    reply = await admin.send("/start ref42")
    assert "Welcome to the shop" in reply.text
    assert await context.get_state() is None
