"""Seller panel screens: the panel, My products, one product's manage screen and its
Edit / Delete questions. The add/edit dialog's own screens are in screens/seller_add.py."""

import html
from collections.abc import Sequence

from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import ProductCb
from keyboards.formatting import CAPTION_LIMIT, TEXT_LIMIT, money, quote, trim, visible_length
from keyboards.seller import (
    delete_confirm_kb,
    fields_kb,
    manage_product_kb,
    my_products_kb,
    seller_panel_kb,
)
from models import Category, Product
from screens.base import Screen
from services.products import ProductPage

# A page of My products is one message: this many lines always fit its 4096 characters.
PAGE_MAX = 20
# The manage screen's caption always fits 1024 characters: the name is 255 at most, the
# category path is cut to this, and the description gets the room that is left.
PATH_LIMIT = 200
DESCRIPTION_LIMIT = 300


def status_label(product: Product, category_hidden: bool = False) -> str:
    """Whether customers see it: hidden by the seller, or with its category."""
    if not product.is_active:
        return "🙈 " + _("hidden")
    return "🙈 " + _("hidden with its category") if category_hidden else "👁 " + _("visible")


def path_text(path: Sequence[Category]) -> str:
    """'Drinks › Tea', escaped; a deep path loses its top levels, not the category."""
    text = " › ".join(c.name for c in path)
    if len(text) > PATH_LIMIT:
        text = "…" + text[len(text) - PATH_LIMIT + 1 :]
    return quote(text)


def panel_screen() -> Screen:
    text = _("<b>Seller panel</b>\nAdd products and manage the ones you sell.")
    return Screen(text, seller_panel_kb())


def products_screen(listing: ProductPage, size: int, *, currency: str, locale: str) -> Screen:
    """A page of My products (`size` to a page), numbered from the first page's first."""
    if not listing.items:
        text = _("<b>My products</b>\n\nYou have no products yet. Add the first one!")
        return Screen(text, my_products_kb([], 1, 1))
    lines = [_("<b>My products</b>, page {page}").format(page=listing.page), ""]
    first = (listing.page - 1) * size + 1
    for n, product in enumerate(listing.items, start=first):
        lines.append(
            _("{n}. {name}: {price}, {stock} in stock, {status}").format(
                n=n,
                name=quote(product.name, 60),
                price=money(product.price, currency, locale),
                stock=product.stock,
                status=status_label(product, product.id in listing.under_hidden),
            )
        )
    return Screen("\n".join(lines), my_products_kb(listing.items, listing.page, listing.pages))


def manage_screen(
    product: Product,
    path: Sequence[Category],
    page: int,
    *,
    currency: str,
    locale: str,
    note: str | None = None,
    card: ProductCb | None = None,
) -> Screen:
    """One of the seller's products with Edit, Hide / Show and Delete; `path` is its
    category and that category's ancestors, top level first; `card`, the card it was
    opened from (Back returns to it, with its own Back)."""
    lines = [note, ""] if note else []
    lines += [
        f"<b>{quote(product.name, 255)}</b>",
        _("Category: {path}").format(path=path_text(path)),
        _("Price: {price}").format(price=money(product.price, currency, locale)),
        _("In stock: {stock}").format(stock=product.stock),
        _("Photo: {photo}").format(photo=_("yes") if product.photo_file_id else _("no")),
        _("Status: {status}").format(
            status=status_label(product, any(not c.is_active for c in path))
        ),
    ]
    text = "\n".join(lines)
    if product.description:
        # A photo's caption is 1024 characters: the description gets what is left.
        limit = CAPTION_LIMIT if product.photo_file_id else TEXT_LIMIT
        room = min(limit - visible_length(text) - 2, DESCRIPTION_LIMIT)
        if room > 1:
            text += "\n\n" + html.escape(trim(product.description, room), quote=False)
    shown = product.is_active and all(c.is_active for c in path)
    markup = manage_product_kb(
        product, page, category_id=product.category_id, shown=shown, card=card
    )
    return Screen(text, markup, photo=product.photo_file_id)


def edit_fields_screen(product: Product, page: int) -> Screen:
    text = _("What do you want to change in <b>{name}</b>?").format(name=quote(product.name))
    return Screen(text, fields_kb(product.id, page))


def delete_ask_screen(product: Product, page: int) -> Screen:
    text = _(
        "Delete <b>{name}</b>?\n\nCustomers won't see it any more. "
        "Orders and reviews that mention it stay as they are."
    ).format(name=quote(product.name))
    return Screen(text, delete_confirm_kb(product, page))
