"""/start, /help, /cancel, /language and the main menu."""

from aiogram import F, Router
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LANGUAGES
from handlers.states import REPLY_KEYBOARD_STATES
from keyboards.callback_data import CancelCb, LangCb, MenuAction, MenuCb
from keyboards.menu import language_kb, main_menu_kb
from models import Role, User
from screens.base import Screen, show
from services.users import UserService


def home_screen(user: User) -> Screen:
    text = _("Hello, <b>{name}</b>! Welcome to the shop. What would you like to do?").format(
        name=hd.quote(user.first_name or user.full_name)
    )
    return Screen(text, main_menu_kb(user.role))


def help_text(role: Role) -> str:
    lines = [
        _("<b>What I can do</b>"),
        _("/start: main menu"),
        _("/catalog: browse the catalog"),
        _("/search &lt;words&gt;: find products"),
        _("/cart: your cart"),
        _("/orders: your orders"),
        _("/paysupport: help with a payment"),
        _("/language: change the language"),
        _("/cancel: leave the current dialog"),
    ]
    if role in (Role.seller, Role.admin):
        lines += ["", _("<b>Seller</b>"), _("/seller: your products, add and edit them")]
    if role is Role.admin:
        lines += [
            "",
            _("<b>Admin</b>"),
            _("/admin: users, roles, categories, statistics and broadcasts"),
            _("/reviews: latest reviews to moderate"),
        ]
    return "\n".join(lines)


async def drop_reply_keyboard(state: FSMContext, message: Message | None) -> str | None:
    """Takes away the reply keyboard a dialog step showed, if the user is on such a
    step; returns the current state."""
    current = await state.get_state()
    if current in REPLY_KEYBOARD_STATES and message is not None:
        await message.answer(_("Cancelled."), reply_markup=ReplyKeyboardRemove())
    return current


async def leave_dialog(state: FSMContext, message: Message | None) -> bool:
    """Clears the dialog (and its reply keyboard). True when there was one to leave."""
    current = await drop_reply_keyboard(state, message)
    await state.clear()
    return current is not None


async def cmd_start(message: Message, user: User, state: FSMContext) -> None:
    await leave_dialog(state, message)
    await show(message, home_screen(user))


async def on_home(query: CallbackQuery, user: User, state: FSMContext) -> None:
    await leave_dialog(state, query.message if isinstance(query.message, Message) else None)
    await show(query, home_screen(user))


async def cmd_help(message: Message, user: User) -> None:
    await message.answer(help_text(user.role), reply_markup=main_menu_kb(user.role))


async def on_help(query: CallbackQuery, user: User) -> None:
    await show(query, Screen(help_text(user.role), main_menu_kb(user.role)))


async def cmd_cancel(message: Message, user: User, state: FSMContext) -> None:
    if not await leave_dialog(state, message):
        await message.answer(_("There is nothing to cancel."), reply_markup=main_menu_kb(user.role))
        return
    await message.answer(_("Cancelled."), reply_markup=main_menu_kb(user.role))


async def on_cancel(query: CallbackQuery, user: User, state: FSMContext) -> None:
    await leave_dialog(state, query.message if isinstance(query.message, Message) else None)
    await show(query, Screen(_("Cancelled."), main_menu_kb(user.role)))


async def cmd_language(message: Message, user: User) -> None:
    await message.answer(_("Choose your language:"), reply_markup=language_kb(user.language))


async def on_language(query: CallbackQuery, user: User) -> None:
    await show(query, Screen(_("Choose your language:"), language_kb(user.language)))


async def on_language_pick(
    query: CallbackQuery,
    callback_data: LangCb,
    user: User,
    session: AsyncSession,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.code not in LANGUAGES:
        callback_answer.text = _("This language is not available.")
        callback_answer.show_alert = True
        return
    await UserService(session).set_language(user, callback_data.code)
    with i18n.use_locale(user.language):
        callback_answer.text = _("Language: English")
        await show(query, home_screen(user))


def build_router() -> Router:
    router = Router(name=__name__)
    # Commands come before any dialog step, so /cancel or /start always work.
    router.message.register(cmd_start, CommandStart(deep_link=False), StateFilter("*"))
    router.message.register(cmd_cancel, Command("cancel"), StateFilter("*"))
    router.callback_query.register(on_cancel, CancelCb.filter(), StateFilter("*"))
    router.message.register(cmd_help, Command("help"), StateFilter("*"))
    router.message.register(cmd_language, Command("language"), StateFilter("*"))
    router.callback_query.register(on_home, MenuCb.filter(F.action == MenuAction.home))
    router.callback_query.register(on_help, MenuCb.filter(F.action == MenuAction.help))
    router.callback_query.register(on_language, MenuCb.filter(F.action == MenuAction.language))
    router.callback_query.register(on_language_pick, LangCb.filter())
    return router
