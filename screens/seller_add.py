"""Screens of the product dialog (handlers/seller_add.py): a step's question, the draft's
preview (the customers' card, drawn by the catalog's screen), and the notes it ends on."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from aiogram.utils.i18n import gettext as _

from keyboards.common import CATEGORIES_PER_PAGE
from keyboards.formatting import CAPTION_LIMIT, TEXT_LIMIT, money, quote, visible_length
from keyboards.seller import category_picker_kb, field_label, fields_kb, preview_kb, step_kb
from models import Category, User
from screens.base import Screen
from screens.catalog import product_screen
from screens.seller import path_text
from services.catalog import CardProduct, ProductCard
from services.names import public_name
from services.paging import chunk
from services.products import ProductField
from services.validation import price_places

STEPS = list(ProductField)


def _header(field: ProductField, changing: bool) -> str:
    if changing:
        return _("<b>Change: {field}</b>").format(field=field_label(field))
    return _("<b>New product</b>, step {n} of {total}").format(
        n=STEPS.index(field) + 1, total=len(STEPS)
    )


def current_text(
    field: ProductField,
    value: Any,
    path: Sequence[Category] | None,
    *,
    currency: str,
    locale: str,
) -> str:
    """The value a field has now; for the category, `path` is its path (top first)."""
    match field:
        case ProductField.category:
            return path_text(path or [])
        case ProductField.price:
            return money(Decimal(str(value)), currency, locale)
        case ProductField.photo:
            return _("a photo") if value else _("no photo")
        case ProductField.description:
            return quote(str(value), 300) if value else _("no description")
    return quote(str(value))


def _prompt(field: ProductField, currency: str) -> str:
    return {
        ProductField.category: _("Choose a category:"),
        ProductField.name: _("Send the product name (1-100 characters)."),
        ProductField.description: _(
            "Send a description (up to 1000 characters), or press the button below."
        ),
        ProductField.price: (
            _("Send the price in {currency}, a whole number, for example 1299.")
            if price_places(currency) == 0
            else _("Send the price in {currency}, for example 1299 or 1 299,50.")
        ).format(currency=currency),
        ProductField.stock: _("How many are in stock? Send a whole number, 0 or more."),
        ProductField.photo: _("Send a photo of the product, or press the button below."),
    }[field]


def _skip_label(field: ProductField, changing: bool) -> str | None:
    if field is ProductField.description:
        return _("No description") if changing else _("Skip")
    if field is ProductField.photo:
        return _("No photo") if changing else _("Skip")
    return None


def step_screen(
    field: ProductField,
    *,
    changing: bool,
    currency: str,
    current: str | None = None,
    error: str | None = None,
    path: Sequence[Category] = (),
    children: Sequence[Category] = (),
    page: int = 1,
    dialog: int = 0,
    product: str | None = None,
) -> Screen:
    """The question for `field` (with `error` on top when the input was wrong). `changing`:
    a field of a saved product or of the draft in preview, not a step of adding. For the
    category, `path` is the level shown (top first), `children` its subcategories and
    `page` the page of them shown. `dialog`: the dialog's number, on its buttons.
    `product`: the saved product's name, when one of its fields is changed."""
    lines = [f"⚠️ {error}", ""] if error else []
    lines.append(_header(field, changing))
    if product is not None:  # which one, among products alike
        lines.append("📦 " + quote(product))
    if current is not None:
        lines.append(_("Now: {value}").format(value=current))
    lines += ["", _prompt(field, currency)]
    if field is ProductField.category:
        if path:
            lines.append("📂 " + path_text(path))
        if not children and not path:
            lines.append(_("There are no categories yet. Ask an admin to create one."))
        shown, page, pages = chunk(children, page, CATEGORIES_PER_PAGE)
        here = path[-1] if path else None
        markup = category_picker_kb(shown, here, (page, pages), dialog, product is not None)
    else:
        skip = _skip_label(field, changing)
        markup = step_kb(field.value, dialog, skip, saved=product is not None)
    return Screen("\n".join(lines), markup)


def edit_cancelled_text() -> str:
    """Cancel in a saved product's edit, which returns to the product."""
    return _("Edit cancelled: nothing was changed.")


def wrong_input_text(field: ProductField) -> str:
    """What a step says to a message it can't take (a sticker, a file, a photo...)."""
    if field is ProductField.category:
        return _("Please choose a category with the buttons.")
    if field is ProductField.photo:
        return _("Please send a photo (as a picture, not as a file), or press the button.")
    return _("Please send text: stickers, photos and files don't fit here.")


def draft_card(data: dict[str, Any], user: User, category: Category) -> ProductCard:
    """The draft (the dialog's data) as the catalog's card."""
    product = CardProduct(
        id=None,
        name=data[ProductField.name.value],
        description=data[ProductField.description.value],
        price=Decimal(data[ProductField.price.value]),
        stock=int(data[ProductField.stock.value]),
        photo_file_id=data[ProductField.photo.value],
        image_url=None,
        category_id=category.id,
        seller_id=user.id,
    )
    seller = public_name(user.first_name, user.last_name, user.username)
    return ProductCard(product=product, seller_name=seller or None, category_name=category.name)


def preview_screen(card: ProductCard, *, currency: str, locale: str, dialog: int) -> Screen:
    screen = product_screen(card, locale=locale, currency=currency, back=None, bot_username="")
    # Exactly the customers' card; the hint goes on top only while the whole still fits.
    hint = "👁 " + _("<b>Preview.</b> This is how customers will see the product:")
    limit = CAPTION_LIMIT if screen.photo else TEXT_LIMIT
    text = screen.text
    if visible_length(hint) + visible_length(text) + 2 <= limit:
        text = hint + "\n\n" + text
    return Screen(text, preview_kb(dialog), photo=screen.photo)


def preview_fields_screen(dialog: int) -> Screen:
    return Screen(_("Which field do you want to change?"), fields_kb(dialog=dialog))


def product_gone_screen(products: Screen) -> Screen:
    """My products, saying why the dialog ended there."""
    note = "⚠️ " + _("This product was deleted or is no longer yours: nothing was changed.")
    return Screen(f"{note}\n\n{products.text}", products.markup)


def saved_note() -> str:
    return "✅ " + _("Saved.")


def published_note() -> str:
    return "✅ " + _("Published: the product is in the catalog now.")


def preview_wrong_text() -> str:
    return _("Please use the buttons under the preview.")
