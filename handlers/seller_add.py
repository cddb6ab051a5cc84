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
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.filters import NotCommand, PhotoInput, TextInput
from handlers.seller import (
    manage_screen,
    panel_screen,
    path_text,
    product_service,
    products_screen,
)
from handlers.states import ProductStates
from keyboards.callback_data import (
    SellerAction,
    SellerCategoryCb,
    SellerCb,
    SellerFieldCb,
    SellerStepAction,
    SellerStepCb,
)
from keyboards.formatting import CAPTION_LIMIT, TEXT_LIMIT, money, quote, visible_length
from keyboards.seller import category_picker_kb, field_label, fields_kb, preview_kb, step_kb
from models import Category, Product, User
from screens.base import Screen, domain_message, show
from screens.catalog import product_screen
from services.catalog import ProductCard
from services.errors import InvalidInput, NotAllowed, NotFound
from services.products import ProductField, ProductService, field_value
from services.validation import clean_description, clean_name, parse_price, parse_stock

STEPS = list(ProductField)
STATE_OF = {
    ProductField.category: ProductStates.category,
    ProductField.name: ProductStates.name,
    ProductField.description: ProductStates.description,
    ProductField.price: ProductStates.price,
    ProductField.stock: ProductStates.stock,
    ProductField.photo: ProductStates.photo,
}
FIELD_OF = {s.state: f for f, s in STATE_OF.items()}
TEXT_STEPS = (
    ProductStates.name,
    ProductStates.description,
    ProductStates.price,
    ProductStates.stock,
)


class StepContext:
    """What every step needs to render and save; built once per update."""

    def __init__(
        self,
        event: Message | CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        settings: Settings,
        locale: str,
    ) -> None:
        self.event = event
        self.state = state
        self.svc: ProductService = product_service(session, settings)
        self.user = user
        self.settings = settings
        self.locale = locale


def _normalise(field: ProductField, raw: str, settings: Settings) -> Any:
    """The value to keep for a text step; raises InvalidInput (the service checks again)."""
    match field:
        case ProductField.name:
            return clean_name(raw)
        case ProductField.description:
            return clean_description(raw)
        case ProductField.price:
            return str(parse_price(raw, settings.max_price))
        case ProductField.stock:
            return parse_stock(raw)
    raise InvalidInput()  # pragma: no cover - only text steps come here


# -- rendering ----------------------------------------------------------------------------


def _header(field: ProductField, data: dict[str, Any]) -> str:
    if data.get("product_id") or data.get("to_preview"):
        return _("<b>Change: {field}</b>").format(field=field_label(field))
    return _("<b>New product</b>, step {n} of {total}").format(
        n=STEPS.index(field) + 1, total=len(STEPS)
    )


async def edited_product(ev: StepContext, data: dict[str, Any]) -> Product | None:
    """The saved product the dialog changes; None when it is gone (deleted, or no longer
    the seller's): then the dialog ends on My products, saying why."""
    try:
        return await ev.svc.get_own(ev.user, data["product_id"])
    except (NotFound, NotAllowed):
        pass
    await ev.state.clear()
    screen = await products_screen(
        ev.svc, ev.user, int(data.get("page") or 1), ev.settings, ev.locale
    )
    note = "⚠️ " + _("This product was deleted or is no longer yours: nothing was changed.")
    await show(ev.event, Screen(f"{note}\n\n{screen.text}", screen.markup))
    return None


async def _current(
    ev: StepContext, field: ProductField, data: dict[str, Any], product: Product | None
) -> str | None:
    """The value the field has now, when changing a saved product or the draft."""
    if product is not None:
        value = field_value(product, field)
    elif data.get("to_preview"):
        value = data.get(field.value)
    else:
        return None
    match field:
        case ProductField.category:
            return path_text(await ev.svc.category_path(int(value)) if value else [])
        case ProductField.price:
            return money(Decimal(str(value)), ev.settings.currency, ev.locale)
        case ProductField.photo:
            return _("a photo") if value else _("no photo")
        case ProductField.description:
            return quote(str(value), 300) if value else _("no description")
    return quote(str(value))


def _prompt(field: ProductField, settings: Settings) -> str:
    return {
        ProductField.category: _("Choose a category:"),
        ProductField.name: _("Send the product name (1-100 characters)."),
        ProductField.description: _(
            "Send a description (up to 1000 characters), or press the button below."
        ),
        ProductField.price: _("Send the price in {currency}, for example 1299 or 1 299,50.").format(
            currency=settings.currency
        ),
        ProductField.stock: _("How many are in stock? Send a whole number, 0 or more."),
        ProductField.photo: _("Send a photo of the product, or press the button below."),
    }[field]


def _skip_label(field: ProductField, data: dict[str, Any]) -> str | None:
    adding = not (data.get("product_id") or data.get("to_preview"))
    if field is ProductField.description:
        return _("Skip") if adding else _("No description")
    if field is ProductField.photo:
        return _("Skip") if adding else _("No photo")
    return None


async def ask(ev: StepContext, field: ProductField, error: str | None = None) -> None:
    """Show the step for `field` (again, with `error` on top when the input was wrong)."""
    data = await ev.state.get_data()
    product = None
    if data.get("product_id") and (product := await edited_product(ev, data)) is None:
        return
    await ev.state.set_state(STATE_OF[field])
    lines = [f"⚠️ {error}", ""] if error else []
    lines.append(_header(field, data))
    current = await _current(ev, field, data, product)
    if current is not None:
        lines.append(_("Now: {value}").format(value=current))
    lines += ["", _prompt(field, ev.settings)]
    if field is ProductField.category:
        level = int(data.get("cat_level") or 0)
        path = await ev.svc.category_path(level) if level else []
        children = await ev.svc.child_categories(level or None)
        if path:
            lines.append("📂 " + path_text(path))
        if not children and not path:
            lines.append(_("There are no categories yet. Ask an admin to create one."))
        markup = category_picker_kb(children, path[-1] if path else None)
    else:
        markup = step_kb(_skip_label(field, data))
    await show(ev.event, Screen("\n".join(lines), markup))


def draft_card(data: dict[str, Any], user: User, category: Category) -> ProductCard:
    """The draft as the catalog's card: a Product that is never added to the session."""
    product = Product(
        name=data[ProductField.name.value],
        description=data[ProductField.description.value],
        price=Decimal(data[ProductField.price.value]),
        stock=int(data[ProductField.stock.value]),
        photo_file_id=data[ProductField.photo.value],
        category_id=category.id,
        seller_id=user.id,
        rating_sum=0,
        rating_count=0,
    )
    seller = " ".join(p for p in (user.first_name, user.last_name) if p) or user.username
    return ProductCard(product=product, seller_name=seller or None, category_name=category.name)


async def show_preview(ev: StepContext) -> None:
    data = await ev.state.get_data()
    missing = next((f for f in STEPS if f.value not in data), None)
    if missing is not None:  # an old or broken draft: ask what is missing
        await ask(ev, missing)
        return
    await ev.state.set_state(ProductStates.preview)
    try:
        category = await ev.svc.category(int(data[ProductField.category.value]))
    except NotFound as exc:  # hidden or deleted by an admin since it was picked
        await ev.state.update_data(to_preview=True, cat_level=0)
        await ask(ev, ProductField.category, error=domain_message(exc))
        return
    card = product_screen(
        draft_card(data, ev.user, category),
        locale=ev.locale,
        currency=ev.settings.currency,
        back=None,
        bot_username="",
    )
    # Exactly the customers' card; the hint goes on top only while the whole still fits.
    hint = "👁 " + _("<b>Preview.</b> This is how customers will see the product:")
    limit = CAPTION_LIMIT if card.photo else TEXT_LIMIT
    text = card.text
    if visible_length(hint) + visible_length(text) + 2 <= limit:
        text = hint + "\n\n" + text
    await show(ev.event, Screen(text, preview_kb(), photo=card.photo))


# -- moving through the steps -------------------------------------------------------------


async def accept(ev: StepContext, field: ProductField, value: Any) -> None:
    """A valid value for `field`: save it (saved product) or keep it and go on (draft)."""
    data = await ev.state.get_data()
    product_id = data.get("product_id")
    if product_id:
        if await edited_product(ev, data) is None:
            return
        product = await ev.svc.update_field(ev.user, product_id, field, value)
        await ev.state.clear()
        page = int(data.get("page") or 1)
        screen = await manage_screen(
            ev.svc, product, page, ev.settings, ev.locale, note="✅ " + _("Saved.")
        )
        await show(ev.event, screen)
        return
    await ev.state.update_data({field.value: value})
    position = STEPS.index(field)
    if data.get("to_preview") or position == len(STEPS) - 1:
        await show_preview(ev)
    else:
        await ask(ev, STEPS[position + 1])


async def go_back(ev: StepContext, raw_state: str | None) -> None:
    data = await ev.state.get_data()
    if raw_state == ProductStates.category.state and data.get("cat_level"):
        parent = (await ev.svc.category_path(int(data["cat_level"])))[-2:-1]
        await ev.state.update_data(cat_level=parent[0].id if parent else 0)
        await ask(ev, ProductField.category)
        return
    if data.get("product_id"):
        if (product := await edited_product(ev, data)) is None:
            return
        await ev.state.clear()
        page = int(data.get("page") or 1)
        await show(ev.event, await manage_screen(ev.svc, product, page, ev.settings, ev.locale))
        return
    if raw_state == ProductStates.preview.state:
        await ev.state.update_data(to_preview=False)
        await ask(ev, STEPS[-1])
        return
    if data.get("to_preview"):
        await show_preview(ev)
        return
    field = FIELD_OF.get(raw_state or "")
    if field is None or field is STEPS[0]:
        await ev.state.clear()
        await show(ev.event, panel_screen())
        return
    await ask(ev, STEPS[STEPS.index(field) - 1])


# -- handlers ------------------------------------------------------------------------------


async def on_add_start(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    await state.clear()
    await ask(StepContext(query, state, session, user, settings, locale), ProductField.category)


async def on_category_open(
    query: CallbackQuery,
    callback_data: SellerCategoryCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    ev = StepContext(query, state, session, user, settings, locale)
    category_id = callback_data.id
    if category_id:
        await ev.svc.category(category_id)  # still there and active
    # A category without subcategories is picked at once; with them, the level opens.
    if category_id and (callback_data.pick or not await ev.svc.child_categories(category_id)):
        await accept(ev, ProductField.category, category_id)
        return
    await state.update_data(cat_level=category_id)
    await ask(ev, ProductField.category)


async def on_step_input(
    message: Message,
    text: str,
    raw_state: str,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    ev = StepContext(message, state, session, user, settings, locale)
    field = FIELD_OF[raw_state]
    try:
        value = _normalise(field, text, settings)
    except InvalidInput as exc:
        await ask(ev, field, error=domain_message(exc))
        return
    await accept(ev, field, value)


async def on_photo_input(
    message: Message,
    file_id: str,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    await accept(
        StepContext(message, state, session, user, settings, locale), ProductField.photo, file_id
    )


async def on_wrong_input(
    message: Message,
    raw_state: str,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    ev = StepContext(message, state, session, user, settings, locale)
    if raw_state == ProductStates.preview.state:
        await message.answer(_("Please use the buttons under the preview."))
        await show_preview(ev)
        return
    field = FIELD_OF[raw_state]
    if field is ProductField.category:
        error = _("Please choose a category with the buttons.")
    elif field is ProductField.photo:
        error = _("Please send a photo (as a picture, not as a file), or press the button.")
    else:
        error = _("Please send text: stickers, photos and files don't fit here.")
    await ask(ev, field, error=error)


async def on_step_back(
    query: CallbackQuery,
    raw_state: str,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    await go_back(StepContext(query, state, session, user, settings, locale), raw_state)


async def on_step_skip(
    query: CallbackQuery,
    raw_state: str,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    field = FIELD_OF[raw_state]
    value = "" if field is ProductField.description else None
    await accept(StepContext(query, state, session, user, settings, locale), field, value)


async def on_preview_back(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    await show_preview(StepContext(query, state, session, user, settings, locale))


async def on_preview_fields(query: CallbackQuery) -> None:
    text = _("Which field do you want to change?")
    await show(query, Screen(text, fields_kb()))


async def on_field_pick(
    query: CallbackQuery,
    callback_data: SellerFieldCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    ev = StepContext(query, state, session, user, settings, locale)
    field = ProductField(callback_data.field)
    if callback_data.product_id:
        await ev.svc.get_own(user, callback_data.product_id)  # before any dialog starts
        await state.set_data({"product_id": callback_data.product_id, "page": callback_data.page})
    else:
        await state.update_data(to_preview=True, cat_level=0)
    await ask(ev, field)


async def on_publish(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    ev = StepContext(query, state, session, user, settings, locale)
    data = await state.get_data()
    if any(f.value not in data for f in STEPS):
        await show_preview(ev)  # asks for what is missing
        return
    product = await ev.svc.create(
        user,
        category_id=int(data[ProductField.category.value]),
        name=data[ProductField.name.value],
        description=data[ProductField.description.value],
        price=data[ProductField.price.value],
        stock=data[ProductField.stock.value],
        photo_file_id=data[ProductField.photo.value],
    )
    await state.clear()
    note = "✅ " + _("Published: the product is in the catalog now.")
    await show(query, await manage_screen(ev.svc, product, 1, settings, locale, note=note))


def build_router() -> Router:
    """The dialog's handlers; included by the seller router, whose role gate covers them."""
    router = Router(name=__name__)
    step = SellerStepCb.filter
    any_step = StateFilter(ProductStates)
    router.callback_query.register(on_add_start, SellerCb.filter(F.action == SellerAction.add))
    router.callback_query.register(
        on_category_open, SellerCategoryCb.filter(), StateFilter(ProductStates.category)
    )
    router.callback_query.register(on_step_back, step(F.action == SellerStepAction.back), any_step)
    router.callback_query.register(
        on_step_skip,
        step(F.action == SellerStepAction.skip),
        StateFilter(ProductStates.description, ProductStates.photo),
    )
    preview = StateFilter(ProductStates.preview)
    router.callback_query.register(
        on_preview_back, step(F.action == SellerStepAction.preview), preview
    )
    router.callback_query.register(
        on_preview_fields, step(F.action == SellerStepAction.fields), preview
    )
    router.callback_query.register(on_publish, step(F.action == SellerStepAction.publish), preview)
    fields = {f.value for f in ProductField}
    # A saved product's field can be picked from anywhere; the draft's only in preview.
    router.callback_query.register(
        on_field_pick, SellerFieldCb.filter(F.field.in_(fields) & (F.product_id > 0))
    )
    router.callback_query.register(
        on_field_pick, SellerFieldCb.filter(F.field.in_(fields) & (F.product_id == 0)), preview
    )
    router.message.register(on_step_input, StateFilter(*TEXT_STEPS), TextInput())
    router.message.register(on_photo_input, StateFilter(ProductStates.photo), PhotoInput())
    router.message.register(on_wrong_input, any_step, NotCommand())
    return router
