"""Broadcast: compose (text, or a photo with a caption) -> preview -> audience -> confirm.

The admin's message is kept as Telegram HTML (`Message.html_text`) plus the photo's file
id, rather than as a (chat, message) pair for copyMessage: the broadcast does not depend
on the admin keeping that message, the preview and every recipient go through the same
`deliver()`, and the database holds what was sent. Sending itself runs in the background
(jobs/broadcaster.py), started once this update's transaction has committed.
"""

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.context import Ctx
from handlers.filters import CommentInput, NotCommand, PhotoInput, protect
from handlers.states import BroadcastStates, begin_dialog, end_dialog
from jobs.broadcaster import Broadcaster, deliver
from keyboards.broadcast import BroadcastAction
from keyboards.callback_data import BroadcastAudienceCb, BroadcastCb
from models import Audience, Broadcast, BroadcastStatus, Role
from screens.base import Screen, show
from screens.broadcast import (
    caption_fits,
    compose_other_screen,
    compose_refused_screen,
    compose_screen,
    preview_screen,
    progress_screen,
    stopping_screen,
)
from services.broadcast import Progress
from services.errors import InvalidInput
from services.texts import N_

_COMPOSING = StateFilter(BroadcastStates.compose, BroadcastStates.preview)


async def _preview(ctx: Ctx, broadcast: Broadcast) -> Screen:
    recipients = await ctx.broadcasts.count_audience(broadcast.audience)
    return preview_screen(broadcast.id, broadcast.audience, recipients)


async def _compose(event: Message | CallbackQuery, state: FSMContext, draft_id: int = 0):
    data = {"broadcast_id": draft_id} if draft_id else {}
    await begin_dialog(state, BroadcastStates.compose, data, event)
    await show(event, compose_screen())


async def cmd_broadcast(message: Message, state: FSMContext) -> None:
    await _compose(message, state)


async def on_broadcast_new(query: CallbackQuery, state: FSMContext) -> None:
    await _compose(query, state)


async def _save_draft(
    message: Message, photo_file_id: str | None, ctx: Ctx, state: FSMContext, bot: Bot
) -> None:
    data = await state.get_data()
    if message.media_group_id:  # its first photo: one answer (handlers.albums: the rest)
        await show(message, compose_refused_screen(album=True))
        return
    if photo_file_id and not caption_fits(message.html_text):
        await show(message, compose_refused_screen(album=False))
        return
    broadcast = await ctx.broadcasts.save_draft(
        ctx.user, message.html_text, photo_file_id, data.get("broadcast_id")
    )
    await state.set_state(BroadcastStates.preview)
    await state.update_data({"broadcast_id": broadcast.id})
    await deliver(bot, message.chat.id, broadcast.text, broadcast.photo_file_id)
    await show(message, await _preview(ctx, broadcast))


async def on_compose_input(message: Message, ctx: Ctx, state: FSMContext, bot: Bot) -> None:
    await _save_draft(message, None, ctx, state, bot)


async def on_compose_photo(
    message: Message, file_id: str, ctx: Ctx, state: FSMContext, bot: Bot
) -> None:
    await _save_draft(message, file_id, ctx, state, bot)


async def on_compose_other(message: Message) -> None:
    await show(message, compose_other_screen())


async def _open_draft(ctx: Ctx, state: FSMContext, draft_id: int, *steps: State) -> Broadcast:
    """The draft a control message's button is for (the author's, not sent yet), while
    the admin's broadcast dialog is on it at one of `steps`: after Cancel or a new
    broadcast, an old control message can't send or change anything."""
    broadcast = await ctx.broadcasts.draft(ctx.user, draft_id)
    on_it = (await state.get_data()).get("broadcast_id") == broadcast.id
    if not on_it or await state.get_state() not in {s.state for s in steps}:
        raise InvalidInput(N_("This draft was closed. To send a broadcast, start again."))
    return broadcast


async def on_audience_pick(
    query: CallbackQuery, callback_data: BroadcastAudienceCb, ctx: Ctx, state: FSMContext
) -> None:
    try:
        audience = Audience(callback_data.audience)
    except ValueError:
        raise InvalidInput() from None
    await _open_draft(ctx, state, callback_data.id, BroadcastStates.preview)
    broadcast = await ctx.broadcasts.set_audience(ctx.user, callback_data.id, audience)
    await show(query, await _preview(ctx, broadcast))


async def on_broadcast_edit(
    query: CallbackQuery, callback_data: BroadcastCb, ctx: Ctx, state: FSMContext
) -> None:
    steps = (BroadcastStates.compose, BroadcastStates.preview)
    broadcast = await _open_draft(ctx, state, callback_data.id, *steps)
    await _compose(query, state, broadcast.id)


async def on_broadcast_confirm(
    query: CallbackQuery,
    callback_data: BroadcastCb,
    ctx: Ctx,
    state: FSMContext,
    bot: Bot,
    broadcaster: Broadcaster,
    callback_answer: CallbackAnswer,
) -> None:
    message = query.message
    chat_id = message.chat.id if message else ctx.user.telegram_id
    message_id = message.message_id if message else 0
    await _open_draft(ctx, state, callback_data.id, BroadcastStates.preview)
    broadcast = await ctx.broadcasts.start(ctx.user, callback_data.id, chat_id, message_id)
    await end_dialog(state)
    nothing_yet = Progress(BroadcastStatus.running, broadcast.total, 0, 0, 0)
    await show(query, progress_screen(broadcast.id, nothing_yet))
    broadcaster.start_after_commit(ctx.session, broadcast.id, bot)
    callback_answer.text = _("Broadcast started.")


async def on_broadcast_stop(
    query: CallbackQuery, callback_data: BroadcastCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    broadcast = await ctx.broadcasts.stop(ctx.user, callback_data.id)
    await show(query, stopping_screen(broadcast.id))
    callback_answer.text = _("Broadcast stopped.")


def build_router() -> Router:
    router = protect(Router(name=__name__), Role.admin)
    router.message.register(cmd_broadcast, Command("broadcast"), StateFilter("*"))
    router.callback_query.register(
        on_broadcast_new, BroadcastCb.filter(F.action == BroadcastAction.new), StateFilter("*")
    )
    router.message.register(on_compose_input, _COMPOSING, CommentInput())
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
