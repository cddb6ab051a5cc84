"""Admin moderation of reviews: /reviews, and Hide / Show / Delete from the list or from a
new-review notification. The router is admin-only; the service checks the role again."""

from aiogram import F, Router
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


async def on_mod_list(query: CallbackQuery, callback_data: ModReviewsCb, ctx: Ctx) -> None:
    await show(query, await _list(ctx, callback_data.page))


async def on_mod_toggle(
    query: CallbackQuery, callback_data: ModReviewCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    visible = callback_data.action is ModAction.unhide
    await ctx.reviews.set_visible(ctx.user, callback_data.review_id, visible)
    callback_answer.text = _("The review is visible again.") if visible else _("Review hidden.")
    await show(query, await _origin(ctx, callback_data))


async def on_mod_delete_ask(query: CallbackQuery, callback_data: ModReviewCb, ctx: Ctx) -> None:
    item = await ctx.reviews.moderated_item(ctx.user, callback_data.review_id)
    await show(query, delete_ask_screen(item, callback_data.page, ctx.locale))


async def on_mod_delete(
    query: CallbackQuery, callback_data: ModReviewCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    await ctx.reviews.delete(ctx.user, callback_data.review_id)
    callback_answer.text = _("Review deleted.")
    if callback_data.page:
        await show(query, await _list(ctx, callback_data.page))
        return
    await show(query, deleted_screen(callback_data.review_id))


async def on_mod_back(query: CallbackQuery, callback_data: ModReviewCb, ctx: Ctx) -> None:
    await show(query, await _origin(ctx, callback_data))


def build_router() -> Router:
    router = protect(Router(name=__name__), Role.admin)
    cb = router.callback_query
    router.message.register(cmd_reviews, Command("reviews"), StateFilter("*"))
    cb.register(on_mod_list, ModReviewsCb.filter(), StateFilter("*"))
    action = ModReviewCb.filter
    toggle = F.action.in_({ModAction.hide, ModAction.unhide})
    cb.register(on_mod_toggle, action(toggle), StateFilter("*"))
    cb.register(on_mod_delete_ask, action(F.action == ModAction.delete), StateFilter("*"))
    cb.register(on_mod_delete, action(F.action == ModAction.confirm), StateFilter("*"))
    cb.register(on_mod_back, action(F.action == ModAction.back), StateFilter("*"))
    return router
