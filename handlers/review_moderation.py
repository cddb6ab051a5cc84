"""Admin moderation of reviews: /reviews, and Hide / Show / Delete from the list or from a
new-review notification. The router is admin-only; the service checks the role again."""

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.context import Ctx
from handlers.filters import protect
from handlers.states import leave_dialog
from keyboards.callback_data import ModAction, ModReviewCb, ModReviewsCb
from models import Role
from screens.base import Screen, show
from screens.review_moderation import card_screen, delete_ask_screen, deleted_screen, list_screen
from services.reviews import ReviewGone

PAGE_SIZE = 5


async def _list(ctx: Ctx, page: int) -> Screen:
    return list_screen(await ctx.reviews.latest(ctx.user, page, PAGE_SIZE), ctx.locale)


async def _origin(ctx: Ctx, cb: ModReviewCb) -> Screen:
    """Where the admin acted from: a page of the list, or the notification (page 0)."""
    if cb.page:
        return await _list(ctx, cb.page)
    return card_screen(await ctx.reviews.moderated_item(ctx.user, cb.review_id), ctx.locale)


async def cmd_reviews(message: Message, ctx: Ctx, state: FSMContext) -> None:
    # Like every command, it leaves a dialog (and takes away its reply keyboard).
    await leave_dialog(state, message)
    await show(message, await _list(ctx, 1))


async def on_mod_list(
    query: CallbackQuery, callback_data: ModReviewsCb, ctx: Ctx, state: FSMContext
) -> None:
    # The list is a screen of its own: a dialog left open ends. A review's Hide or Delete,
    # pressed on a notice in the middle of a dialog, acts in place and keeps it.
    await leave_dialog(state, query)
    await show(query, await _list(ctx, callback_data.page))


async def _toggle(query: CallbackQuery, cb: ModReviewCb, ctx: Ctx, answer: CallbackAnswer) -> None:
    visible = cb.action is ModAction.unhide
    await ctx.reviews.set_visible(ctx.user, cb.review_id, visible)
    answer.text = _("The review is visible again.") if visible else _("Review hidden.")
    await show(query, await _origin(ctx, cb))


async def _delete_ask(query: CallbackQuery, cb: ModReviewCb, ctx: Ctx, _a: CallbackAnswer) -> None:
    item = await ctx.reviews.moderated_item(ctx.user, cb.review_id)
    await show(query, delete_ask_screen(item, cb.page, ctx.locale))


async def _delete(query: CallbackQuery, cb: ModReviewCb, ctx: Ctx, answer: CallbackAnswer) -> None:
    await ctx.reviews.delete(ctx.user, cb.review_id)
    answer.text = _("Review deleted.")
    await show(query, await _without(ctx, cb))


async def _without(ctx: Ctx, cb: ModReviewCb) -> Screen:
    """Where the admin acted from, once the review is gone: the list page, or in the
    notification "Review #N is deleted"."""
    return await _list(ctx, cb.page) if cb.page else deleted_screen(cb.review_id)


async def _back(query: CallbackQuery, cb: ModReviewCb, ctx: Ctx, _a: CallbackAnswer) -> None:
    await show(query, await _origin(ctx, cb))


ACTIONS = {
    ModAction.hide: _toggle,
    ModAction.unhide: _toggle,
    ModAction.delete: _delete_ask,
    ModAction.confirm: _delete,
    ModAction.back: _back,
}


async def on_mod_review(
    query: CallbackQuery, callback_data: ModReviewCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    """A moderation button, in a list or a notification. A review another admin deleted
    meanwhile: said once, and the screen moves on (the list page, or "Review #N is
    deleted" in the notification) instead of keeping buttons that can't work."""
    try:
        await ACTIONS[callback_data.action](query, callback_data, ctx, callback_answer)
    except ReviewGone:
        callback_answer.text, callback_answer.show_alert = _(ReviewGone.message), True
        await show(query, await _without(ctx, callback_data))


def build_router() -> Router:
    router = protect(Router(name=__name__), Role.admin)
    cb = router.callback_query
    router.message.register(cmd_reviews, Command("reviews"), StateFilter("*"))
    cb.register(on_mod_list, ModReviewsCb.filter(), StateFilter("*"))
    cb.register(on_mod_review, ModReviewCb.filter(), StateFilter("*"))
    return router
