"""Broadcast: compose (text, or a photo with a caption) -> preview -> audience -> confirm.

The admin's message is kept as Telegram HTML (`Message.html_text`) plus the photo's file
id, rather than as a (chat, message) pair for copyMessage: the broadcast does not depend
on the admin keeping that message, the preview and every recipient go through the same
`deliver()`, and the database holds what was sent. Sending itself runs in the background
(bot/broadcaster.py), started once this update's transaction has committed.
"""

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.filters import NotCommand, PhotoInput, TextInput, protect
from handlers.states import BroadcastStates
from jobs.broadcaster import Broadcaster, deliver
from keyboards.broadcast import (
    BroadcastAction,
    audience_label,
    compose_kb,
    preview_kb,
    progress_kb,
)
from keyboards.callback_data import BroadcastAudienceCb, BroadcastCb
from models import Audience, Broadcast, Role, User
from screens.base import Screen, show
from services.broadcast import PROGRESS_TEXT, BroadcastService
from services.errors import InvalidInput

_COMPOSING = StateFilter(BroadcastStates.compose, BroadcastStates.preview)


def compose_screen() -> Screen:
    return Screen(
        _(
            "📣 <b>New broadcast</b>\n\n"
            "Send the message for your users: text, or one photo with a caption. "
            "Formatting (bold, links…) is kept.\n"
            "You will see a preview before anything is sent."
        ),
        compose_kb(),
    )


async def preview_screen(service: BroadcastService, broadcast: Broadcast) -> Screen:
    recipients = await service.count_audience(broadcast.audience)
    text = _(
        "👆 This is exactly what users will get.\n\n"
        "Audience: <b>{audience}</b>\nRecipients: <b>{n}</b>\n\n"
        "Choose the audience, then press Send."
    ).format(audience=audience_label(broadcast.audience), n=recipients)
    return Screen(text, preview_kb(broadcast.id, broadcast.audience, recipients))


async def _compose(event: Message | CallbackQuery, state: FSMContext, draft_id: int = 0):
    await state.set_state(BroadcastStates.compose)
    await state.set_data({"broadcast_id": draft_id} if draft_id else {})
    await show(event, compose_screen())


async def cmd_broadcast(message: Message, state: FSMContext) -> None:
    await _compose(message, state)


async def on_broadcast_new(query: CallbackQuery, state: FSMContext) -> None:
    await _compose(query, state)


async def _save_draft(
    message: Message,
    photo_file_id: str | None,
    user: User,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    service = BroadcastService(session)
    data = await state.get_data()
    broadcast = await service.save_draft(
        user, message.html_text, photo_file_id, data.get("broadcast_id")
    )
    await state.set_state(BroadcastStates.preview)
    await state.set_data({"broadcast_id": broadcast.id})
    await deliver(bot, message.chat.id, broadcast.text, broadcast.photo_file_id)
    await show(message, await preview_screen(service, broadcast))


async def on_compose_input(
    message: Message, user: User, session: AsyncSession, state: FSMContext, bot: Bot
) -> None:
    await _save_draft(message, None, user, session, state, bot)


async def on_compose_photo(
    message: Message,
    file_id: str,
    user: User,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    await _save_draft(message, file_id, user, session, state, bot)


async def on_compose_other(message: Message) -> None:
    await message.answer(
        _(
            "I can broadcast text or one photo with a caption. "
            "Stickers, videos, files and commands can't be sent. Send text or a photo."
        ),
        reply_markup=compose_kb(),
    )


async def on_audience_pick(
    query: CallbackQuery,
    callback_data: BroadcastAudienceCb,
    user: User,
    session: AsyncSession,
) -> None:
    try:
        audience = Audience(callback_data.audience)
    except ValueError:
        raise InvalidInput() from None
    service = BroadcastService(session)
    broadcast = await service.set_audience(user, callback_data.id, audience)
    await show(query, await preview_screen(service, broadcast))


async def on_broadcast_edit(
    query: CallbackQuery,
    callback_data: BroadcastCb,
    user: User,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    broadcast = await BroadcastService(session).draft(user, callback_data.id)
    await _compose(query, state, broadcast.id)


async def on_broadcast_confirm(
    query: CallbackQuery,
    callback_data: BroadcastCb,
    user: User,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    broadcaster: Broadcaster,
    callback_answer: CallbackAnswer,
) -> None:
    message = query.message
    chat_id = message.chat.id if message else user.telegram_id
    message_id = message.message_id if message else 0
    broadcast = await BroadcastService(session).start(user, callback_data.id, chat_id, message_id)
    await state.clear()
    text = _(PROGRESS_TEXT).format(
        id=broadcast.id, sent=0, failed=0, blocked=0, left=broadcast.total
    )
    await show(query, Screen(text, progress_kb(broadcast.id)))
    broadcaster.start_after_commit(session, broadcast.id, bot)
    callback_answer.text = _("Broadcast started.")


async def on_broadcast_stop(
    query: CallbackQuery,
    callback_data: BroadcastCb,
    user: User,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
) -> None:
    broadcast = await BroadcastService(session).stop(user, callback_data.id)
    await show(query, Screen(_("⏹ Stopping broadcast #{id}…").format(id=broadcast.id)))
    callback_answer.text = _("Broadcast stopped.")


def build_router() -> Router:
    router = protect(Router(name=__name__), Role.admin)
    router.message.register(cmd_broadcast, Command("broadcast"), StateFilter("*"))
    router.callback_query.register(
        on_broadcast_new, BroadcastCb.filter(F.action == BroadcastAction.new), StateFilter("*")
    )
    router.message.register(on_compose_input, _COMPOSING, TextInput())
    router.message.register(on_compose_photo, _COMPOSING, PhotoInput())
    router.message.register(on_compose_other, _COMPOSING, NotCommand())
    router.callback_query.register(on_audience_pick, BroadcastAudienceCb.filter())
    router.callback_query.register(
        on_broadcast_edit, BroadcastCb.filter(F.action == BroadcastAction.edit)
    )
    router.callback_query.register(
        on_broadcast_confirm, BroadcastCb.filter(F.action == BroadcastAction.confirm)
    )
    router.callback_query.register(
        on_broadcast_stop, BroadcastCb.filter(F.action == BroadcastAction.stop)
    )
    return router
