import pytest
from aiogram.filters import Command
from aiogram.methods import SendMessage
from aiogram.types import ReplyKeyboardRemove
from sqlalchemy import func, select

from handlers import build_routers
from handlers.filters import RoleGate
from keyboards.callback_data import CartAction, CartAddCb, CartCb, LangCb, MenuAction, MenuCb
from models import Role, User
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user


async def users(session):
    return (await session.scalars(select(User).order_by(User.id))).all()


async def test_start_registers_and_greets(env, session):
    ann = env.user(1, "Ann", username="ann", language_code="en")
    reply = await ann.send("/start")
    assert "Ann" in reply.text
    assert reply.has_button("Catalog") and reply.has_button("Help")
    assert not reply.has_button("Admin panel")
    [row] = await users(session)
    assert (row.telegram_id, row.username, row.first_name, row.role) == (
        1,
        "ann",
        "Ann",
        Role.customer,
    )
    assert row.language == "en"


async def test_second_start_updates_profile_without_duplicate(env, session):
    ann = env.user(1, "Ann", username="ann")
    await ann.send("/start")
    ann.first_name, ann.username, ann.last_name = "Anna", "anna_new", "Smith"
    reply = await ann.send("/start")
    assert "Anna" in reply.text
    assert await session.scalar(select(func.count()).select_from(User)) == 1
    [row] = await users(session)
    assert (row.first_name, row.last_name, row.username) == ("Anna", "Smith", "anna_new")


async def test_start_payload_is_kept_from_the_first_visit(env, session):
    await env.user(5).send("/start promo2026")
    await env.user(5).send("/start other")
    [row] = await users(session)
    assert row.start_payload == "promo2026"


async def test_admin_ids_become_admins_on_first_start(env, session):
    reply = await env.user(ADMIN_ID, "Boss").send("/start")
    assert reply.has_button("Admin panel")
    [row] = await users(session)
    assert row.role is Role.admin


async def test_admin_demoted_later_is_not_promoted_again(env, session):
    await env.user(ADMIN_ID).send("/start")
    row = (await users(session))[0]
    row.role = Role.customer
    await session.commit()
    await env.user(ADMIN_ID).send("/start")
    session.expire_all()
    assert (await users(session))[0].role is Role.customer


async def test_name_is_escaped(env):
    reply = await env.user(1, "<b>Bob & co</b>").send("/start")
    assert "&lt;b&gt;Bob &amp; co&lt;/b&gt;" in reply.text


async def test_help_depends_on_role(env, session):
    customer = await env.user(1).send("/help")
    assert "/catalog" in customer.text and "/admin" not in customer.text
    admin = await env.user(ADMIN_ID).send("/help")
    assert "/admin" in admin.text and "/seller" in admin.text


def _commands_by_role() -> dict[str, frozenset[Role]]:
    """Every command a router answers, with the roles its router lets through."""
    found: dict[str, frozenset[Role]] = {}
    for router in build_routers():
        gates = [m for m in router.message.middleware if isinstance(m, RoleGate)]
        roles = gates[0].roles if gates else frozenset(Role)
        for handler in router.message.handlers:
            for item in handler.filters or ():
                if type(item.callback) is Command:
                    for name in item.callback.commands:
                        found[name] = roles
    return found


@pytest.mark.parametrize("role", list(Role))
async def test_help_lists_every_command_the_role_can_use(env, session, role):
    user = await make_user(session, telegram_id=7, role=role)
    await session.commit()
    text = (await env.user(user.telegram_id).send("/help")).text
    commands = _commands_by_role()
    assert {"books", "promote", "broadcast", "promocodes", "login"} <= set(commands)
    del commands["help"]  # the one being read
    for name, roles in commands.items():
        assert (f"/{name}" in text) is (role in roles), name


async def test_menu_buttons_edit_the_same_message(env):
    ann = env.user(1)
    await ann.send("/start")
    first = ann.last_bot_message.message_id
    reply = await ann.press("Help")
    assert "/cart" in reply.text
    reply = await ann.press("Language")
    assert reply.text == "Choose your language:"
    reply = await ann.press("Main menu")
    assert "Welcome" in reply.text
    assert list(env.api.chats[1]) == [first]


async def test_banned_user_gets_one_notice_then_silence(env, session):
    ann = env.user(1)
    await ann.send("/start")
    row = (await users(session))[0]
    row.is_banned = True
    await session.commit()
    first = await ann.send("/start")
    assert first.texts == ["You are banned from this shop."]
    second = await ann.send("/help")
    assert second.calls == []
    pressed = await ann.click("m:cat")
    # The button stops spinning, with no text and no screen.
    assert len(pressed.calls) == 1 and pressed.alert is None and pressed.texts == []


async def test_unknown_text_and_stale_buttons_are_answered(env):
    ann = env.user(1)
    reply = await ann.send("hello there")
    assert "didn't understand" in reply.text
    reply = await ann.click("zz:unknown:42")
    assert "out of date" in reply.alert


async def test_unknown_deep_link_still_opens_the_shop(env):
    reply = await env.user(1, "Ann").send("/start nonsense-payload")
    assert "Welcome" in reply.text


async def test_user_who_blocked_the_bot_is_active_again_when_back(env, session):
    await env.user(1).send("/start")
    row = (await users(session))[0]
    row.is_active = False  # a broadcast got 403: they had blocked the bot
    await session.commit()
    await env.user(1).send("/start")
    session.expire_all()
    assert (await users(session))[0].is_active is True


async def _at_checkout_step(env, session, user, *, phone_step: bool):
    tea = await make_product(session, await make_category(session), name="Tea")
    await session.commit()
    await user.click(CartAddCb(product_id=tea.id))
    await user.click(CartCb(action=CartAction.checkout))
    if phone_step:
        await user.send("Ann")  # the phone step shows a reply keyboard


MENU_EXITS = [
    "/help",
    "/language",
    MenuCb(action=MenuAction.help),
    MenuCb(action=MenuAction.language),
    MenuCb(action=MenuAction.catalog),
    MenuCb(action=MenuAction.cart),
    MenuCb(action=MenuAction.orders),
    MenuCb(action=MenuAction.favourites),
]


@pytest.mark.parametrize("phone_step", [False, True])
@pytest.mark.parametrize("leave", MENU_EXITS, ids=str)
async def test_what_shows_the_menu_leaves_the_dialog(env, session, leave, phone_step):
    ann = env.user(1)
    await ann.send("/start")
    await _at_checkout_step(env, session, ann, phone_step=phone_step)
    reply = await (ann.send(leave) if isinstance(leave, str) else ann.click(leave))
    sent = reply.of(SendMessage)
    if phone_step:  # the step's reply keyboard goes away with it
        assert isinstance(sent[0].reply_markup, ReplyKeyboardRemove)
    # Text typed afterwards is no longer taken as the recipient's name or phone.
    assert "didn't understand" in (await ann.send("iphone")).text
    assert (await ann.send("/cancel")).text == "There is nothing to cancel."


async def test_picking_a_language_mid_dialog_leaves_it_and_its_keyboard(env, session):
    ann = env.user(1)
    await ann.send("/start")
    await ann.send("/language")
    picker = ann.last_bot_message
    await _at_checkout_step(env, session, ann, phone_step=True)
    # Русский pressed on the picker sent before the checkout began
    reply = await ann.click(LangCb(code="ru"), picker)
    assert isinstance(reply.of(SendMessage)[0].reply_markup, ReplyKeyboardRemove)
    # The English "⬅️ Back" left under the input field is no longer a bad phone number.
    assert (await ann.send("⬅️ Back")).text == "Не понял вас. Выберите в меню:"


async def test_each_chat_gets_the_command_menu_of_its_role_in_its_language(env, session):
    """The menu next to the input field listed a customer's commands to everyone: an
    admin never saw /admin there, a seller /seller. A role change, /start and a language
    picked in the bot set the chat's own menu (its scope: that chat); a customer reading
    the language Telegram gave them has none of their own (the language's menu fits)."""
    from aiogram.methods import DeleteMyCommands, SetMyCommands

    def menu(reply, chat_id):
        [call] = [c for c in reply.of(SetMyCommands) if c.scope.chat_id == chat_id]
        return {c.command: c.description for c in call.commands}

    def dropped(reply, chat_id):
        return [c for c in reply.of(DeleteMyCommands) if c.scope.chat_id == chat_id]

    boss = env.user(ADMIN_ID)
    admin_menu = menu(await boss.send("/start"), ADMIN_ID)
    assert {"admin", "seller", "books", "cart"} <= admin_menu.keys()
    ann = env.user(5, "Ann")
    reply = await ann.send("/start")
    assert dropped(reply, 5) and not reply.of(SetMyCommands)
    seller_menu = menu(await boss.send("/promote 5 seller"), 5)
    assert "seller" in seller_menu and "admin" not in seller_menu
    await ann.send("/language")
    russian = menu(await ann.click(LangCb(code="ru")), 5)
    assert russian["seller"] == "Ваши товары: добавить и изменить"
    assert russian["cart"] == "Ваша корзина"
    # A customer again, still reading Russian in an English Telegram: a menu of her own.
    customer = menu(await boss.send("/promote 5 customer"), 5)
    assert "seller" not in customer and customer["cart"] == "Ваша корзина"
    await ann.send("/language")
    assert dropped(await ann.click(LangCb(code="en")), 5)  # back to Telegram's language
