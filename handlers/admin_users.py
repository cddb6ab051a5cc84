"""Admin: find a user (id, @username or a forwarded message), their card, roles, bans."""

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, MessageOriginHiddenUser, MessageOriginUser
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from handlers.context import Ctx
from handlers.filters import NotCommand, TextInput, leaves_dialogs, protect
from handlers.states import AdminStates, begin_dialog, end_dialog, leave_dialog
from jobs.notify import notify_new_role
from keyboards.callback_data import AdminAction, AdminCb, AdminUserAction, AdminUserCb
from models import Role
from screens.admin_users import (
    banned_text,
    card_screen,
    confirm_screen,
    find_screen,
    hidden_sender_text,
    not_a_user_text,
    not_from_person_text,
    promote_usage_text,
    promoted_screen,
    role_changed_text,
    stepped_down_screen,
    unbanned_text,
)
from screens.base import Screen, domain_message, show
from services.admin import parse_role, require_admin
from services.errors import DomainError, InvalidInput


class Forwarded(Filter):
    """A forwarded message; passes on where it came from as `origin`."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        if message.forward_origin is None:
            return False
        return {"origin": message.forward_origin}


async def _card(ctx: Ctx, user_id: int) -> Screen:
    if ctx.user.role is not Role.admin:
        # The admin just stepped down: the panel is no longer theirs.
        return stepped_down_screen(ctx.user.role)
    return card_screen(await ctx.admin.card(ctx.user, user_id), ctx.user, ctx.locale)


# -- finding -------------------------------------------------------------------------------


async def on_find(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    require_admin(ctx.user)
    await begin_dialog(state, AdminStates.find_user, {}, query)
    await show(query, find_screen())


async def _found(message: Message, state: FSMContext, screen: Screen) -> None:
    await end_dialog(state)
    await show(message, screen)


async def on_find_user_forward(
    message: Message, origin: object, ctx: Ctx, state: FSMContext
) -> None:
    if isinstance(origin, MessageOriginHiddenUser):
        await show(message, find_screen(hidden_sender_text()))
        return
    if not isinstance(origin, MessageOriginUser):
        await show(message, find_screen(not_from_person_text()))
        return
    try:
        found = await ctx.admin.by_telegram_id(ctx.user, origin.sender_user.id)
    except DomainError as exc:
        await show(message, find_screen(domain_message(exc)))
        return
    await _found(message, state, await _card(ctx, found.id))


async def on_find_user_input(message: Message, text: str, ctx: Ctx, state: FSMContext) -> None:
    try:
        found = await ctx.admin.find(ctx.user, text)
    except DomainError as exc:
        await show(message, find_screen(domain_message(exc)))
        return
    await _found(message, state, await _card(ctx, found.id))


async def on_find_user_other(message: Message) -> None:
    await show(message, find_screen(not_a_user_text()))


# -- card and actions ----------------------------------------------------------------------


async def on_user_card(query: CallbackQuery, callback_data: AdminUserCb, ctx: Ctx) -> None:
    await show(query, await _card(ctx, callback_data.id))


async def on_user_role(
    query: CallbackQuery,
    callback_data: AdminUserCb,
    ctx: Ctx,
    callback_answer: CallbackAnswer,
    bot: Bot,
    i18n: I18n,
) -> None:
    require_admin(ctx.user)
    try:
        role = Role(callback_data.role)
    except ValueError:
        raise InvalidInput() from None
    change = await ctx.admin.set_role(ctx.user, callback_data.id, role)
    callback_answer.text = role_changed_text(change.user, change)
    await show(query, await _card(ctx, change.user.id))
    # A user with only an API login has no chat to be told in.
    if change.changed and change.user.telegram_id is not None:
        await notify_new_role(bot, ctx.session, i18n, ctx.user.id, change.user)


async def on_user_ask(query: CallbackQuery, callback_data: AdminUserCb, ctx: Ctx) -> None:
    """A ban or a demotion to customer, asked first: what it will take off sale."""
    require_admin(ctx.user)
    if callback_data.role not in ("", Role.customer.value):  # only these are asked
        raise InvalidInput()
    role = Role.customer if callback_data.role else None
    card = await ctx.admin.asked(ctx.user, callback_data.id, role)
    if card.user.is_banned if role is None else card.user.role is Role.customer:
        await show(query, await _card(ctx, callback_data.id))  # done already, meanwhile
        return
    await show(query, confirm_screen(card, role, ctx.user))


async def on_user_ban(
    query: CallbackQuery, callback_data: AdminUserCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    if callback_data.action is AdminUserAction.ban:
        change = await ctx.admin.ban(ctx.user, callback_data.id)
        callback_answer.text = banned_text(change)
    else:
        await ctx.admin.unban(ctx.user, callback_data.id)
        callback_answer.text = unbanned_text()
    await show(query, await _card(ctx, callback_data.id))


async def cmd_promote(
    message: Message,
    command: CommandObject,
    ctx: Ctx,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
) -> None:
    require_admin(ctx.user)
    # Like every command, it leaves a dialog (and its reply keyboard) whatever its
    # arguments: wrong ones are answered, and the next message is no step's answer.
    await leave_dialog(state, message)
    parts = (command.args or "").split()
    if len(parts) != 2:
        await message.answer(promote_usage_text())
        return
    # A refusal from here on is answered by handlers/errors.py; the dialog stays left.
    role = parse_role(parts[1])
    target = await ctx.admin.find(ctx.user, parts[0])
    change = await ctx.admin.set_role(ctx.user, target.id, role)
    card = await _card(ctx, change.user.id)
    await show(message, promoted_screen(change, card))
    # A user with only an API login has no chat to be told in.
    if change.changed and change.user.telegram_id is not None:
        await notify_new_role(bot, ctx.session, i18n, ctx.user.id, change.user)


def build_router() -> Router:
    router = leaves_dialogs(protect(Router(name=__name__), Role.admin))
    router.message.register(cmd_promote, Command("promote"), StateFilter("*"))
    router.callback_query.register(on_find, AdminCb.filter(F.action == AdminAction.find))
    router.message.register(on_find_user_forward, StateFilter(AdminStates.find_user), Forwarded())
    router.message.register(on_find_user_input, StateFilter(AdminStates.find_user), TextInput())
    router.message.register(on_find_user_other, StateFilter(AdminStates.find_user), NotCommand())
    router.callback_query.register(
        on_user_card, AdminUserCb.filter(F.action == AdminUserAction.card)
    )
    router.callback_query.register(
        on_user_role, AdminUserCb.filter(F.action == AdminUserAction.role)
    )
    router.callback_query.register(
        on_user_ban, AdminUserCb.filter(F.action.in_({AdminUserAction.ban, AdminUserAction.unban}))
    )
    router.callback_query.register(on_user_ask, AdminUserCb.filter(F.action == AdminUserAction.ask))
    return router
