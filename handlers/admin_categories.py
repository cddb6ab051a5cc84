"""Admin: the category tree. Create, rename, move, reorder, hide/show and delete."""

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.context import Ctx
from handlers.filters import NotCommand, TextInput, leaves_dialogs, protect
from handlers.states import AdminStates, begin_dialog, end_dialog, leave_dialog
from keyboards.callback_data import AdminAction, AdminCategoryAction, AdminCategoryCb, AdminCb
from models import Role
from screens.admin_categories import (
    delete_ask_screen,
    level_screen,
    move_screen,
    name_as_text_screen,
    name_retry_screen,
    new_name_screen,
    rename_screen,
    visibility_text,
)
from screens.base import Screen, domain_message, show
from services.admin import require_admin
from services.errors import DomainError, NotFound

A = AdminCategoryAction


async def _level(ctx: Ctx, category_id: int, page: int = 1) -> Screen:
    return level_screen(await ctx.categories.level(ctx.user, category_id), page)


async def on_categories(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, query)
    await show(query, await _level(ctx, 0))


async def on_category_open(
    query: CallbackQuery,
    callback_data: AdminCategoryCb,
    ctx: Ctx,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    await leave_dialog(state, query)
    try:
        screen = await _level(ctx, callback_data.id, callback_data.page)
    except NotFound as exc:  # deleted by another admin: the top level instead
        callback_answer.text = domain_message(exc)
        callback_answer.show_alert = True
        screen = await _level(ctx, 0)
    await show(query, screen)


async def _category_gone(message: Message, ctx: Ctx, state: FSMContext, exc: NotFound) -> None:
    """A name step whose category (or parent) another admin deleted meanwhile: no other
    name can succeed, so the step ends on the top level."""
    await end_dialog(state)
    await message.answer(domain_message(exc))
    await show(message, await _level(ctx, 0))


# -- name dialogs --------------------------------------------------------------------------


async def on_category_new(
    query: CallbackQuery, callback_data: AdminCategoryCb, ctx: Ctx, state: FSMContext
) -> None:
    if callback_data.id:
        parent = await ctx.categories.get(ctx.user, callback_data.id)
        await ctx.categories.check_room_under(parent.id)  # an alert, not a dialog in vain
    else:
        require_admin(ctx.user)
        parent = None
    data = {"parent_id": callback_data.id or None}
    await begin_dialog(state, AdminStates.category_name, data, query)
    await show(query, new_name_screen(parent))


async def on_category_rename(
    query: CallbackQuery, callback_data: AdminCategoryCb, ctx: Ctx, state: FSMContext
) -> None:
    category = await ctx.categories.get(ctx.user, callback_data.id)
    await begin_dialog(state, AdminStates.category_rename, {"category_id": category.id}, query)
    await show(query, rename_screen(category))


async def on_category_name_input(message: Message, text: str, ctx: Ctx, state: FSMContext) -> None:
    parent_id = (await state.get_data()).get("parent_id")
    try:
        category = await ctx.categories.create(ctx.user, text, parent_id)
    except NotFound as exc:
        await _category_gone(message, ctx, state, exc)
        return
    except DomainError as exc:
        await show(message, name_retry_screen(domain_message(exc), parent_id or 0))
        return
    await end_dialog(state)
    await message.answer(_("✅ Category created."))
    await show(message, await _level(ctx, category.id))


async def on_category_rename_input(
    message: Message, text: str, ctx: Ctx, state: FSMContext
) -> None:
    category_id = (await state.get_data()).get("category_id") or 0
    try:
        before = (await ctx.categories.get(ctx.user, category_id)).name
        renamed = (await ctx.categories.rename(ctx.user, category_id, text)).name != before
    except NotFound as exc:
        await _category_gone(message, ctx, state, exc)
        return
    except DomainError as exc:
        await show(message, name_retry_screen(domain_message(exc), category_id))
        return
    await end_dialog(state)
    await message.answer(
        _("✅ Category renamed.") if renamed else _("That is its name already: nothing changed.")
    )
    await show(message, await _level(ctx, category_id))


async def on_category_name_other(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    back_to = data.get("category_id") or data.get("parent_id") or 0
    await show(message, name_as_text_screen(back_to))


# -- move, reorder, hide, delete -----------------------------------------------------------


async def on_category_move(query: CallbackQuery, callback_data: AdminCategoryCb, ctx: Ctx) -> None:
    category = await ctx.categories.get(ctx.user, callback_data.id)
    targets = await ctx.categories.move_targets(ctx.user, category.id)
    page = max(1, callback_data.page)
    await show(query, move_screen(category, targets, page))


async def on_category_move_to(
    query: CallbackQuery, callback_data: AdminCategoryCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    target = callback_data.target or None
    before = (await ctx.categories.get(ctx.user, callback_data.id)).parent_id
    category = await ctx.categories.move(ctx.user, callback_data.id, target)
    callback_answer.text = (
        _("Moved.") if category.parent_id != before else _("It is there already.")
    )
    await show(query, await _level(ctx, category.id))


async def on_category_shift(query: CallbackQuery, callback_data: AdminCategoryCb, ctx: Ctx) -> None:
    step = -1 if callback_data.action is A.up else 1
    await ctx.categories.shift(ctx.user, callback_data.id, step)
    await show(query, await _level(ctx, callback_data.id))


async def on_category_visibility(
    query: CallbackQuery, callback_data: AdminCategoryCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    visible = callback_data.action is A.show
    await ctx.categories.set_visible(ctx.user, callback_data.id, visible)
    level = await ctx.categories.level(ctx.user, callback_data.id)
    callback_answer.text = visibility_text(level)
    await show(query, level_screen(level))


async def on_category_delete(
    query: CallbackQuery, callback_data: AdminCategoryCb, ctx: Ctx
) -> None:
    category = await ctx.categories.check_deletable(ctx.user, callback_data.id)
    await show(query, delete_ask_screen(category))


async def on_category_delete_ok(
    query: CallbackQuery, callback_data: AdminCategoryCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    parent_id = await ctx.categories.delete(ctx.user, callback_data.id)
    callback_answer.text = _("Category deleted.")
    await show(query, await _level(ctx, parent_id or 0))


def build_router() -> Router:
    router = leaves_dialogs(protect(Router(name=__name__), Role.admin))
    cb = AdminCategoryCb.filter
    router.callback_query.register(
        on_categories, AdminCb.filter(F.action == AdminAction.categories)
    )
    router.callback_query.register(on_category_open, cb(F.action == A.open))
    router.callback_query.register(on_category_new, cb(F.action == A.new))
    router.callback_query.register(on_category_rename, cb(F.action == A.rename))
    router.callback_query.register(on_category_move, cb(F.action == A.move))
    router.callback_query.register(on_category_move_to, cb(F.action == A.move_to))
    router.callback_query.register(on_category_shift, cb(F.action.in_({A.up, A.down})))
    router.callback_query.register(on_category_visibility, cb(F.action.in_({A.hide, A.show})))
    router.callback_query.register(on_category_delete, cb(F.action == A.delete))
    router.callback_query.register(on_category_delete_ok, cb(F.action == A.delete_ok))
    names = StateFilter(AdminStates.category_name, AdminStates.category_rename)
    router.message.register(
        on_category_name_input, StateFilter(AdminStates.category_name), TextInput()
    )
    router.message.register(
        on_category_rename_input, StateFilter(AdminStates.category_rename), TextInput()
    )
    router.message.register(on_category_name_other, names, NotCommand())
    return router
