"""/login: a Telegram user sets (or resets) the login and password of the web API.

The message carrying the password is deleted from the chat as soon as it arrives,
whatever becomes of it. Cancel (button or /cancel) is the start router's, as for every
dialog.
"""

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from handlers.context import Ctx
from handlers.filters import NotCommand, SecretInput, TextInput
from handlers.states import begin_dialog, end_dialog
from keyboards.common import cancel_kb
from keyboards.login import LoginCb, login_kb
from screens.base import domain_message, show, tell
from screens.login import (
    done_screen,
    login_screen,
    password_screen,
    private_only_text,
    text_only_text,
)
from services.accounts import AccountService, Hasher, LoginTaken, check_password, clean_login
from services.errors import DomainError, InvalidInput

LOGIN_KEY = "api_login"


class LoginStates(StatesGroup):
    """Data: api_login, once chosen."""

    login = State()
    password = State()


def _accounts(ctx: Ctx) -> AccountService:
    return AccountService(ctx.session, Hasher.bcrypt(ctx.settings.bcrypt_rounds))


def _suggestion(ctx: Ctx) -> str | None:
    for candidate in (ctx.user.login, (ctx.user.username or "").lower()):
        if candidate:
            try:
                return clean_login(candidate)
            except InvalidInput:
                continue
    return None


async def cmd_login(message: Message, ctx: Ctx, state: FSMContext) -> None:
    if message.chat.type != ChatType.PRIVATE:
        await message.answer(private_only_text())
        return
    await begin_dialog(state, LoginStates.login, {}, message)  # a dialog left for this one
    await show(message, login_screen(ctx.user.login, _suggestion(ctx)))


async def _choose(event: Message | CallbackQuery, ctx: Ctx, state: FSMContext, text: str) -> None:
    try:
        login = clean_login(text)
        other = await _accounts(ctx).by_login(login)
        if other is not None and other.id != ctx.user.id:
            raise LoginTaken()
    except DomainError as exc:
        await show(event, login_screen(ctx.user.login, _suggestion(ctx), domain_message(exc)))
        return
    await state.set_state(LoginStates.password)
    await state.update_data({LOGIN_KEY: login})
    await show(event, password_screen(login))


async def on_login_input(message: Message, text: str, ctx: Ctx, state: FSMContext) -> None:
    await _choose(message, ctx, state, text)


async def on_login_keep(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    suggestion = _suggestion(ctx)
    if suggestion is None:  # a forged press: nothing to keep
        await show(query, login_screen(ctx.user.login, None))
        return
    await _choose(query, ctx, state, suggestion)


async def _delete(message: Message) -> None:
    """A message that may hold the password leaves the chat."""
    try:
        await message.delete()
    except TelegramAPIError:  # too old, or already gone: nothing more we can do
        pass


async def on_password_input(message: Message, ctx: Ctx, state: FSMContext) -> None:
    password = message.text or ""
    await _delete(message)
    login = (await state.get_data()).get(LOGIN_KEY)
    if not login:  # the dialog's data is gone: start again
        await state.set_state(LoginStates.login)
        await show(message, login_screen(ctx.user.login, _suggestion(ctx)))
        return
    try:
        check_password(password)
        await _accounts(ctx).set_password(ctx.user, login, password)
        await ctx.commit()
    except LoginTaken as exc:  # taken a moment ago by someone else
        await state.set_state(LoginStates.login)
        await show(message, login_screen(ctx.user.login, _suggestion(ctx), domain_message(exc)))
        return
    except InvalidInput as exc:
        await show(message, password_screen(login, domain_message(exc)))
        return
    await end_dialog(state)
    await tell(message, done_screen(login))


async def on_other_input(message: Message, ctx: Ctx, raw_state: str | None) -> None:
    """A sticker or a photo: the step's own buttons again ("Use <login>" at the first).
    At the password step, a caption may be the password: the message goes."""
    first = raw_state == LoginStates.login.state
    if not first and message.caption:
        await _delete(message)
    await message.answer(
        text_only_text(), reply_markup=login_kb(_suggestion(ctx)) if first else cancel_kb()
    )


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_login, Command("login"), StateFilter("*"))
    router.callback_query.register(on_login_keep, LoginCb.filter(), StateFilter(LoginStates.login))
    router.message.register(on_login_input, StateFilter(LoginStates.login), TextInput())
    # Any text but the bot's own commands: a password may start with "/", and is deleted.
    router.message.register(on_password_input, StateFilter(LoginStates.password), SecretInput())
    router.message.register(
        on_other_input, StateFilter(LoginStates.login, LoginStates.password), NotCommand()
    )
    return router
