"""The product dialog: add a product step by step, or change one field of it.

One set of step handlers serves three uses, told apart by the FSM data:
- adding: the draft's values are kept in the data, each step leads to the next, then the
  preview;
- `to_preview`: a field of the draft picked from the preview; its step leads back there;
- `product_id`: a field of a saved product; its step saves it and shows the product.
FSM data holds ids and plain values only (the price as a string), so a restart resumes.
"""

from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.common import manage_product, own_product
from handlers.context import Ctx
from handlers.filters import (
    AtStep,
    CommentInput,
    NotCommand,
    PhotoInput,
    SameDialog,
    TextInput,
    protect,
)
from handlers.states import DIALOG, ProductStates, begin_dialog, end_dialog
from keyboards.callback_seller import (
    SellerAction,
    SellerCategoryCb,
    SellerCb,
    SellerFieldCb,
    SellerStepAction,
    SellerStepCb,
)
from models import Product, Role
from screens.base import domain_message, show, tell
from screens.seller import panel_screen
from screens.seller_add import (
    STEPS,
    current_text,
    draft_card,
    edit_cancelled_text,
    preview_fields_screen,
    preview_screen,
    preview_wrong_text,
    published_note,
    saved_note,
    step_screen,
    wrong_input_text,
)
from services.errors import InvalidInput, NotFound
from services.products import ProductField, field_value
from services.validation import clean_description, clean_name, parse_price, parse_stock

Event = Message | CallbackQuery

STATE_OF = {
    ProductField.category: ProductStates.category,
    ProductField.name: ProductStates.name,
    ProductField.description: ProductStates.description,
    ProductField.price: ProductStates.price,
    ProductField.stock: ProductStates.stock,
    ProductField.photo: ProductStates.photo,
}
FIELD_OF = {s.state: f for f, s in STATE_OF.items()}
OPTIONAL_STEPS = (ProductStates.description, ProductStates.photo)  # the ones with Skip
TEXT_STEPS = (
    ProductStates.name,
    ProductStates.description,
    ProductStates.price,
    ProductStates.stock,
)


def _normalise(field: ProductField, raw: str, max_price: Decimal, currency: str) -> Any:
    """The value to keep for a text step; raises InvalidInput (the service checks again)."""
    match field:
        case ProductField.name:
            return clean_name(raw)
        case ProductField.description:
            return clean_description(raw)
        case ProductField.price:
            return str(parse_price(raw, max_price, currency))
        case ProductField.stock:
            return parse_stock(raw)
    raise InvalidInput()  # pragma: no cover - only text steps come here


def _changing(data: dict[str, Any]) -> bool:
    """A field of a saved product or of the draft in preview, not a step of adding."""
    return bool(data.get("product_id") or data.get("to_preview"))


# -- the dialog's moves (not handlers: the handlers below call them) ----------------------


def _page(data: dict[str, Any]) -> int:
    """Where the manage screen's Back goes: a My products page, or FROM_CARD (0)."""
    return int(data.get("page", 1))


async def edited_product(
    event: Event, ctx: Ctx, state: FSMContext, data: dict[str, Any]
) -> Product | None:
    """The saved product the dialog changes; None when it is gone (deleted, or no longer
    the seller's): then the dialog ends on My products, saying why."""
    product = await own_product(ctx, event, data["product_id"], _page(data), lost=True)
    if product is None:
        await end_dialog(state)
    return product


async def _current(
    ctx: Ctx, field: ProductField, data: dict[str, Any], product: Product | None
) -> str | None:
    """The value the field has now, when changing a saved product or the draft."""
    if product is not None:
        value = field_value(product, field)
    elif data.get("to_preview"):
        value = data.get(field.value)
    else:
        return None
    path = None
    if field is ProductField.category:
        path = await ctx.products.category_path(int(value)) if value else []
    return current_text(field, value, path, currency=ctx.settings.currency, locale=ctx.locale)


async def ask(
    event: Event, ctx: Ctx, state: FSMContext, field: ProductField, error: str | None = None
) -> None:
    """Show the step for `field` (again, with `error` on top when the input was wrong)."""
    data = await state.get_data()
    product = None
    if data.get("product_id"):
        if (product := await edited_product(event, ctx, state, data)) is None:
            return
    await state.set_state(STATE_OF[field])
    current = await _current(ctx, field, data, product)
    path, children, page = [], [], 1
    if field is ProductField.category:
        level = int(data.get("cat_level") or 0)
        path = await ctx.products.category_path(level) if level else []
        page = int(data.get("cat_page") or 1)
        if level and (not path or not all(c.is_active for c in path)):
            # The level shown was deleted or hidden meanwhile: the top level again.
            level, page, path = 0, 1, []
            await state.update_data(cat_level=0, cat_page=1)
        children = await ctx.products.child_categories(level or None)
    screen = step_screen(
        field,
        changing=_changing(data),
        currency=ctx.settings.currency,
        current=current,
        error=error,
        path=path,
        children=children,
        page=page,
        dialog=data.get(DIALOG, 0),
        product=product.name if product is not None else None,
    )
    await show(event, screen)


async def show_preview(event: Event, ctx: Ctx, state: FSMContext) -> None:
    data = await state.get_data()
    missing = next((f for f in STEPS if f.value not in data), None)
    if missing is not None:  # an old or broken draft: ask what is missing
        await ask(event, ctx, state, missing)
        return
    await state.set_state(ProductStates.preview)
    try:
        category = await ctx.products.category(int(data[ProductField.category.value]))
    except NotFound as exc:  # hidden or deleted by an admin since it was picked
        await state.update_data(to_preview=True, cat_level=0, cat_page=1)
        await ask(event, ctx, state, ProductField.category, error=domain_message(exc))
        return
    card = draft_card(data, ctx.user, category)
    dialog = data.get(DIALOG, 0)
    screen = preview_screen(card, currency=ctx.settings.currency, locale=ctx.locale, dialog=dialog)
    await show(event, screen)


async def accept(event: Event, ctx: Ctx, state: FSMContext, field: ProductField, value: Any):
    """A valid value for `field`: save it (saved product) or keep it and go on (draft)."""
    data = await state.get_data()
    product_id = data.get("product_id")
    if product_id:
        if await edited_product(event, ctx, state, data) is None:
            return
        product = await ctx.products.update_field(ctx.user, product_id, field, value)
        await end_dialog(state)
        await ctx.commit()  # "Saved" only once it is
        screen = await manage_product(ctx, product, _page(data), saved_note(), state=state)
        await tell(event, screen)
        return
    await state.update_data({field.value: value})
    position = STEPS.index(field)
    if data.get("to_preview") or position == len(STEPS) - 1:
        await show_preview(event, ctx, state)
    else:
        await ask(event, ctx, state, STEPS[position + 1])


async def go_back(event: Event, ctx: Ctx, state: FSMContext, raw_state: str | None) -> None:
    data = await state.get_data()
    if raw_state == ProductStates.category.state and data.get("cat_level"):
        parent = (await ctx.products.category_path(int(data["cat_level"])))[-2:-1]
        await state.update_data(cat_level=parent[0].id if parent else 0, cat_page=1)
        await ask(event, ctx, state, ProductField.category)
        return
    if data.get("product_id"):
        if (product := await edited_product(event, ctx, state, data)) is None:
            return
        await end_dialog(state)
        await show(event, await manage_product(ctx, product, _page(data), state=state))
        return
    if raw_state == ProductStates.preview.state:
        await state.update_data(to_preview=False)
        await ask(event, ctx, state, STEPS[-1])
        return
    if data.get("to_preview"):
        await show_preview(event, ctx, state)
        return
    field = FIELD_OF.get(raw_state or "")
    if field is None or field is STEPS[0]:
        await end_dialog(state)
        await show(event, panel_screen())
        return
    await ask(event, ctx, state, STEPS[STEPS.index(field) - 1])


# -- handlers ------------------------------------------------------------------------------


async def on_add_start(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await begin_dialog(state, ProductStates.category, {}, query)
    await ask(query, ctx, state, ProductField.category)


async def on_category_open(
    query: CallbackQuery, callback_data: SellerCategoryCb, ctx: Ctx, state: FSMContext
) -> None:
    category_id = callback_data.id
    if category_id:
        try:
            await ctx.products.category(category_id)  # still there and active
        except NotFound as exc:  # deleted or hidden meanwhile: the top level, saying so
            await state.update_data(cat_level=0, cat_page=1)
            await ask(query, ctx, state, ProductField.category, error=domain_message(exc))
            return
    # A category without subcategories is picked at once; with them, the level opens
    # (a pager's press always opens it).
    if category_id and not callback_data.page:
        if callback_data.pick or not await ctx.products.child_categories(category_id):
            await accept(query, ctx, state, ProductField.category, category_id)
            return
    await state.update_data(cat_level=category_id, cat_page=max(callback_data.page, 1))
    await ask(query, ctx, state, ProductField.category)


async def on_step_input(
    message: Message, text: str, raw_state: str, ctx: Ctx, state: FSMContext
) -> None:
    field = FIELD_OF[raw_state]
    try:
        value = _normalise(field, text, ctx.settings.max_price, ctx.settings.currency)
    except InvalidInput as exc:
        await ask(message, ctx, state, field, error=domain_message(exc))
        return
    await accept(message, ctx, state, field, value)


async def on_photo_input(message: Message, file_id: str, ctx: Ctx, state: FSMContext) -> None:
    # Several photos at once: the first is the product's (handlers.albums: the rest).
    await accept(message, ctx, state, ProductField.photo, file_id)


async def on_wrong_input(message: Message, raw_state: str, ctx: Ctx, state: FSMContext) -> None:
    if raw_state == ProductStates.preview.state:
        await message.answer(preview_wrong_text())
        await show_preview(message, ctx, state)
        return
    field = FIELD_OF[raw_state]
    await ask(message, ctx, state, field, error=wrong_input_text(field))


async def on_step_back(query: CallbackQuery, raw_state: str, ctx: Ctx, state: FSMContext) -> None:
    await go_back(query, ctx, state, raw_state)


async def on_step_cancel(
    query: CallbackQuery, ctx: Ctx, state: FSMContext, callback_answer: CallbackAnswer
) -> None:
    """Cancel in a saved product's edit: back to the product, as it was (a forged one in
    a new product's dialog ends it at the panel, as Cancel does)."""
    data = await state.get_data()
    if not data.get("product_id"):
        await end_dialog(state)
        await show(query, panel_screen())
        return
    if (product := await edited_product(query, ctx, state, data)) is None:
        return
    await end_dialog(state)
    callback_answer.text = edit_cancelled_text()
    await show(query, await manage_product(ctx, product, _page(data), state=state))


async def on_step_skip(query: CallbackQuery, raw_state: str, ctx: Ctx, state: FSMContext) -> None:
    field = FIELD_OF[raw_state]
    value = "" if field is ProductField.description else None
    await accept(query, ctx, state, field, value)


async def on_preview_back(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await show_preview(query, ctx, state)


async def on_preview_fields(query: CallbackQuery, callback_data: SellerStepCb) -> None:
    await show(query, preview_fields_screen(callback_data.dialog))


async def on_field_pick(
    query: CallbackQuery, callback_data: SellerFieldCb, ctx: Ctx, state: FSMContext
) -> None:
    field = ProductField(callback_data.field)
    if callback_data.product_id:
        if await own_product(ctx, query, callback_data.product_id, callback_data.page) is None:
            return  # before any dialog starts
        data = {"product_id": callback_data.product_id, "page": callback_data.page}
        await begin_dialog(state, STATE_OF[field], data, query)
    else:
        await state.update_data(to_preview=True, cat_level=0, cat_page=1)
    await ask(query, ctx, state, field)


async def on_publish(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    data = await state.get_data()
    if any(f.value not in data for f in STEPS):
        await show_preview(query, ctx, state)  # asks for what is missing
        return
    product = await ctx.products.create(
        ctx.user,
        category_id=int(data[ProductField.category.value]),
        name=data[ProductField.name.value],
        description=data[ProductField.description.value],
        price=data[ProductField.price.value],
        stock=data[ProductField.stock.value],
        photo_file_id=data[ProductField.photo.value],
    )
    await end_dialog(state)
    await ctx.commit()  # "Published" only once it is
    await tell(query, await manage_product(ctx, product, 1, note=published_note()))


def build_router() -> Router:
    """The dialog's handlers, behind the seller panel's role gate."""
    router = protect(Router(name=__name__), Role.seller, Role.admin)
    step = SellerStepCb.filter
    any_step = StateFilter(ProductStates)
    router.callback_query.register(on_add_start, SellerCb.filter(F.action == SellerAction.add))
    router.callback_query.register(
        on_category_open,
        SellerCategoryCb.filter(),
        StateFilter(ProductStates.category),
        SameDialog(old_buttons=True),
    )
    # A step's buttons act only at the step and in the dialog they were shown in: an old
    # prompt's Skip would change another field (or product), its Back rewind the dialog.
    preview = StateFilter(ProductStates.preview)
    buttons = (
        (on_step_back, SellerStepAction.back, any_step),
        (on_step_cancel, SellerStepAction.cancel, any_step),
        (on_step_skip, SellerStepAction.skip, StateFilter(*OPTIONAL_STEPS)),
        (on_preview_back, SellerStepAction.preview, preview),
        (on_preview_fields, SellerStepAction.fields, preview),
        (on_publish, SellerStepAction.publish, preview),
    )
    for handler, action, where in buttons:
        router.callback_query.register(handler, step(F.action == action), where, AtStep())
    fields = {f.value for f in ProductField}
    # A saved product's field can be picked from anywhere; the draft's only in preview.
    router.callback_query.register(
        on_field_pick, SellerFieldCb.filter(F.field.in_(fields) & (F.product_id > 0))
    )
    router.callback_query.register(
        on_field_pick, SellerFieldCb.filter(F.field.in_(fields) & (F.product_id == 0)), preview
    )
    # A description may start with "/" ("/5 kg bag"); the other steps' answers never do.
    router.message.register(on_step_input, StateFilter(ProductStates.description), CommentInput())
    router.message.register(on_step_input, StateFilter(*TEXT_STEPS), TextInput())
    router.message.register(on_photo_input, StateFilter(ProductStates.photo), PhotoInput())
    router.message.register(on_wrong_input, any_step, NotCommand())
    return router
