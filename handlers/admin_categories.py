"""Admin: the category tree. Create, rename, move, reorder, hide/show and delete."""

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.filters import NotCommand, TextInput, protect
from handlers.states import AdminStates
from keyboards.admin import categories_kb, category_step_kb, delete_confirm_kb, move_targets_kb
from keyboards.callback_data import AdminAction, AdminCategoryAction, AdminCategoryCb, AdminCb
from keyboards.formatting import quote
from models import Role, User
from screens.base import Screen, domain_message, show
from services.admin import require_admin
from services.categories import NAME_LIMIT, CategoryService
from services.errors import DomainError

A = AdminCategoryAction


async def category_screen(session: AsyncSession, actor: User, category_id: int) -> Screen:
    """A level of the tree: the top (0) or a category with its details and actions."""
    service = CategoryService(session)
    if not category_id:
        children = await service.children(actor, None)
        text = _("<b>🗂 Categories</b>\nTop level: {count}. Hidden ones are marked 🙈.").format(
            count=len(children)
        )
        if not children:
            text += "\n\n" + _("There are no categories yet.")
        return Screen(text, categories_kb(None, children))
    category = await service.get(actor, category_id)
    chain = await service.path(actor, category)
    children = await service.children(actor, category.id)
    siblings = await service.children(actor, category.parent_id)
    products, _subs = await service.counts(category.id)
    place = next(i for i, c in enumerate(siblings) if c.id == category.id) + 1
    lines = [
        "<b>🗂 " + " › ".join(quote(c.name, 40) for c in chain) + "</b>",
        _("Slug: <code>{slug}</code>").format(slug=quote(category.slug)),
        _("Visible to customers") if category.is_active else _("🙈 Hidden from customers"),
        _("Products: {products} · Subcategories: {children}").format(
            products=products, children=len(children)
        ),
        _("Position: {place} of {count}").format(place=place, count=len(siblings)),
    ]
    return Screen("\n".join(lines), categories_kb(category, children))


async def on_categories(
    query: CallbackQuery, user: User, session: AsyncSession, state: FSMContext
) -> None:
    await state.clear()
    await show(query, await category_screen(session, user, 0))


async def on_category_open(
    query: CallbackQuery,
    callback_data: AdminCategoryCb,
    user: User,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    await state.clear()
    await show(query, await category_screen(session, user, callback_data.id))


# -- name dialogs --------------------------------------------------------------------------


def _name_prompt(text: str, back_to: int) -> Screen:
    hint = _("Up to {limit} characters.").format(limit=NAME_LIMIT)
    return Screen(f"{text}\n{hint}", category_step_kb(back_to))


async def on_category_new(
    query: CallbackQuery,
    callback_data: AdminCategoryCb,
    user: User,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    service = CategoryService(session)
    if callback_data.id:
        parent = await service.get(user, callback_data.id)
        text = _("Send the name of the new subcategory of <b>{parent}</b>.").format(
            parent=quote(parent.name)
        )
    else:
        require_admin(user)
        text = _("Send the name of the new top-level category.")
    await state.set_state(AdminStates.category_name)
    await state.set_data({"parent_id": callback_data.id or None})
    await show(query, _name_prompt(text, callback_data.id))


async def on_category_rename(
    query: CallbackQuery,
    callback_data: AdminCategoryCb,
    user: User,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    category = await CategoryService(session).get(user, callback_data.id)
    await state.set_state(AdminStates.category_rename)
    await state.set_data({"category_id": category.id})
    text = _("Send the new name of <b>{name}</b>.").format(name=quote(category.name))
    await show(query, _name_prompt(text, category.id))


async def _retry(message: Message, exc: DomainError, back_to: int) -> None:
    hint = _("Send another name, or press Cancel.")
    await message.answer(f"{domain_message(exc)}\n{hint}", reply_markup=category_step_kb(back_to))


async def on_category_name_input(
    message: Message, text: str, user: User, session: AsyncSession, state: FSMContext
) -> None:
    parent_id = (await state.get_data()).get("parent_id")
    try:
        category = await CategoryService(session).create(user, text, parent_id)
    except DomainError as exc:
        await _retry(message, exc, parent_id or 0)
        return
    await state.clear()
    await message.answer(_("✅ Category created."))
    await show(message, await category_screen(session, user, category.id))


async def on_category_rename_input(
    message: Message, text: str, user: User, session: AsyncSession, state: FSMContext
) -> None:
    category_id = (await state.get_data()).get("category_id") or 0
    try:
        await CategoryService(session).rename(user, category_id, text)
    except DomainError as exc:
        await _retry(message, exc, category_id)
        return
    await state.clear()
    await message.answer(_("✅ Category renamed."))
    await show(message, await category_screen(session, user, category_id))


async def on_category_name_other(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    back_to = data.get("category_id") or data.get("parent_id") or 0
    await message.answer(
        _("Please send the name as text.")
        + "\n"
        + _("Up to {limit} characters.").format(limit=NAME_LIMIT),
        reply_markup=category_step_kb(back_to),
    )


# -- move, reorder, hide, delete -----------------------------------------------------------


async def on_category_move(
    query: CallbackQuery,
    callback_data: AdminCategoryCb,
    user: User,
    session: AsyncSession,
    settings: Settings,
) -> None:
    service = CategoryService(session)
    category = await service.get(user, callback_data.id)
    targets = await service.move_targets(user, category.id)
    size = settings.page_size
    page = max(1, callback_data.page)
    chunk = targets[(page - 1) * size : page * size]
    text = _("Where should <b>{name}</b> go? Choose its new parent.").format(
        name=quote(category.name)
    )
    markup = move_targets_kb(category, chunk, page, has_next=len(targets) > page * size)
    await show(query, Screen(text, markup))


async def on_category_move_to(
    query: CallbackQuery,
    callback_data: AdminCategoryCb,
    user: User,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
) -> None:
    category = await CategoryService(session).move(
        user, callback_data.id, callback_data.target or None
    )
    callback_answer.text = _("Moved.")
    await show(query, await category_screen(session, user, category.id))


async def on_category_shift(
    query: CallbackQuery, callback_data: AdminCategoryCb, user: User, session: AsyncSession
) -> None:
    step = -1 if callback_data.action is A.up else 1
    await CategoryService(session).shift(user, callback_data.id, step)
    await show(query, await category_screen(session, user, callback_data.id))


async def on_category_visibility(
    query: CallbackQuery,
    callback_data: AdminCategoryCb,
    user: User,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
) -> None:
    visible = callback_data.action is A.show
    await CategoryService(session).set_visible(user, callback_data.id, visible)
    callback_answer.text = (
        _("Shown to customers again.")
        if visible
        else _("Hidden: customers no longer see it or its products.")
    )
    await show(query, await category_screen(session, user, callback_data.id))


async def on_category_delete(
    query: CallbackQuery, callback_data: AdminCategoryCb, user: User, session: AsyncSession
) -> None:
    category = await CategoryService(session).check_deletable(user, callback_data.id)
    text = _("Delete the category <b>{name}</b>? This can't be undone.").format(
        name=quote(category.name)
    )
    await show(query, Screen(text, delete_confirm_kb(category)))


async def on_category_delete_ok(
    query: CallbackQuery,
    callback_data: AdminCategoryCb,
    user: User,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
) -> None:
    parent_id = await CategoryService(session).delete(user, callback_data.id)
    callback_answer.text = _("Category deleted.")
    await show(query, await category_screen(session, user, parent_id or 0))


def build_router() -> Router:
    router = protect(Router(name=__name__), Role.admin)
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
