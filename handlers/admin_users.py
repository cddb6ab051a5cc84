"""Admin: find a user (id, @username or a forwarded message), their card, roles, bans."""

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.filters import NotCommand, TextInput, protect
from handlers.states import AdminStates
from jobs.notify import notify
from keyboards.admin import find_user_kb, role_label, user_card_kb
from keyboards.callback_data import AdminAction, AdminCb, AdminUserAction, AdminUserCb
from keyboards.formatting import quote
from keyboards.menu import main_menu_kb
from models import Role, User
from screens.base import Screen, domain_message, show
from services.admin import AdminService, Change, UserCard, parse_role, require_admin
from services.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)


class Forwarded(Filter):
    """A forwarded message; passes on where it came from as `origin`."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        if message.forward_origin is None:
            return False
        return {"origin": message.forward_origin}


def with_hidden_note(text: str, change: Change) -> str:
    """Tells the acting admin what a ban or a demotion took off sale, if anything."""
    if not change.products_hidden:
        return text
    note = _("Their products hidden from the catalog: {count}.").format(
        count=change.products_hidden
    )
    return f"{text}\n{note}"


def find_prompt() -> str:
    return _(
        "Send the user's Telegram id or @username, or forward me a message of theirs.\n"
        "They must have used the bot at least once."
    )


def card_screen(card: UserCard, actor: User) -> Screen:
    u = card.user
    lines = [f"<b>👤 {quote(u.full_name, 100)}</b>"]
    handle = f"@{quote(u.username)} · " if u.username else ""
    lines.append(f"{handle}id <code>{u.telegram_id}</code>")
    lines.append(_("Role: {role}").format(role=role_label(u.role)))
    lines.append(_("Registered: {date}").format(date=u.created_at.strftime("%Y-%m-%d")))
    lines.append(_("Status: banned") if u.is_banned else _("Status: active"))
    lines.append(
        _("Orders: {orders} · Reviews: {reviews}").format(orders=card.orders, reviews=card.reviews)
    )
    return Screen("\n".join(lines), user_card_kb(u, actor))


async def _card(session: AsyncSession, actor: User, user_id: int) -> Screen:
    if actor.role is not Role.admin:
        # The admin just stepped down: the panel is no longer theirs.
        return Screen(
            _("You are now {role}.").format(role=role_label(actor.role)), main_menu_kb(actor.role)
        )
    return card_screen(await AdminService(session).card(actor, user_id), actor)


# -- finding -------------------------------------------------------------------------------


async def on_find(query: CallbackQuery, user: User, state: FSMContext) -> None:
    require_admin(user)
    await state.set_state(AdminStates.find_user)
    await show(query, Screen(find_prompt(), find_user_kb()))


async def _found(message: Message, state: FSMContext, screen: Screen) -> None:
    await state.clear()
    await show(message, screen)


async def _retry(message: Message, text: str) -> None:
    await message.answer(f"{text}\n\n{find_prompt()}", reply_markup=find_user_kb())


async def on_find_user_forward(
    message: Message, origin: object, user: User, session: AsyncSession, state: FSMContext
) -> None:
    if isinstance(origin, MessageOriginHiddenUser):
        await _retry(
            message,
            _(
                "This user hides their account in forwarded messages. "
                "Send their Telegram id or @username instead."
            ),
        )
        return
    if not isinstance(origin, MessageOriginUser):
        await _retry(message, _("This message was not forwarded from a person."))
        return
    try:
        found = await AdminService(session).by_telegram_id(user, origin.sender_user.id)
    except DomainError as exc:
        await _retry(message, domain_message(exc))
        return
    await _found(message, state, await _card(session, user, found.id))


async def on_find_user_input(
    message: Message, text: str, user: User, session: AsyncSession, state: FSMContext
) -> None:
    try:
        found = await AdminService(session).find(user, text)
    except DomainError as exc:
        await _retry(message, domain_message(exc))
        return
    await _found(message, state, await _card(session, user, found.id))


async def on_find_user_other(message: Message) -> None:
    await _retry(message, _("That is not an id, a username or a forwarded message."))


# -- card and actions ----------------------------------------------------------------------


async def _tell_new_role(
    bot: Bot, session: AsyncSession, i18n: I18n, actor: User, target: User
) -> None:
    """Lets the user know, in their language (not the admin who changed their own)."""
    if target.id == actor.id:
        return

    def render(locale: str) -> Screen:
        text = {
            Role.customer: _("Your role in this shop is now: customer."),
            Role.seller: _("🎉 You are now a seller in this shop: open /seller to add products."),
            Role.admin: _("🎉 You are now an admin of this shop: open /admin."),
        }[target.role]
        return Screen(text, main_menu_kb(target.role))

    await notify(bot, session, i18n, target, render)


async def on_user_card(
    query: CallbackQuery, callback_data: AdminUserCb, user: User, session: AsyncSession
) -> None:
    await show(query, await _card(session, user, callback_data.id))


async def on_user_role(
    query: CallbackQuery,
    callback_data: AdminUserCb,
    user: User,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
    bot: Bot,
    i18n: I18n,
) -> None:
    require_admin(user)
    try:
        role = Role(callback_data.role)
    except ValueError:
        raise InvalidInput() from None
    change = await AdminService(session).set_role(user, callback_data.id, role)
    target = change.user
    text = _("Role: {role}").format(role=role_label(target.role))
    callback_answer.text = with_hidden_note(text, change)
    await show(query, await _card(session, user, target.id))
    if change.changed:
        await _tell_new_role(bot, session, i18n, user, target)


async def on_user_ban(
    query: CallbackQuery,
    callback_data: AdminUserCb,
    user: User,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
) -> None:
    service = AdminService(session)
    if callback_data.action is AdminUserAction.ban:
        change = await service.ban(user, callback_data.id)
        text = _("Banned. They will get one notice and be ignored after that.")
        callback_answer.text = with_hidden_note(text, change)
    else:
        await service.unban(user, callback_data.id)
        callback_answer.text = _("Unbanned.")
    await show(query, await _card(session, user, callback_data.id))


async def cmd_promote(
    message: Message,
    command: CommandObject,
    user: User,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
) -> None:
    require_admin(user)
    parts = (command.args or "").split()
    if len(parts) != 2:
        await message.answer(
            _(
                "Usage: <code>/promote &lt;id|@username&gt; &lt;role&gt;</code>, "
                "where the role is customer, seller or admin."
            )
        )
        return
    role = parse_role(parts[1])
    service = AdminService(session)
    change = await service.set_role(user, (await service.find(user, parts[0])).id, role)
    target = change.user
    await state.clear()
    card = await _card(session, user, target.id)
    done = _("✅ {name} is now {role}.").format(
        name=quote(target.full_name, 100), role=role_label(target.role)
    )
    done = with_hidden_note(done, change)
    await show(message, Screen(f"{done}\n\n{card.text}", card.markup))
    if change.changed:
        await _tell_new_role(bot, session, i18n, user, target)


def build_router() -> Router:
    router = protect(Router(name=__name__), Role.admin)
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
    return router
