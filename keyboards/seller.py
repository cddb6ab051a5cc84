"""Keyboards of the seller panel and the add/edit product dialog."""

from collections.abc import Sequence
from typing import Protocol

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import ProductCb
from keyboards.callback_seller import (
    FROM_CARD,
    SellerAction,
    SellerCategoryCb,
    SellerCb,
    SellerFieldCb,
    SellerProductAction,
    SellerProductCb,
    SellerStepAction,
    SellerStepCb,
)
from keyboards.catalog import card_back
from keyboards.common import back_label, button, cancel_button, home_button, numbered_pager
from keyboards.formatting import trim
from services.products import ProductField

_LABEL = 60


class Named(Protocol):
    """A category as a button shows it."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


class Listed(Named, Protocol):
    """A seller's product as its buttons show it."""

    @property
    def is_active(self) -> bool: ...


def field_label(field: ProductField) -> str:
    return {
        ProductField.category: _("Category"),
        ProductField.name: _("Name"),
        ProductField.description: _("Description"),
        ProductField.price: _("Price"),
        ProductField.stock: _("Stock"),
        ProductField.photo: _("Photo"),
    }[field]


def _back_button(data: object) -> InlineKeyboardButton:
    return button(back_label(), data)


def _step(action: SellerStepAction, at: str, dialog: int) -> SellerStepCb:
    return SellerStepCb(action=action, at=at, dialog=dialog)


def _step_back(at: str, dialog: int) -> InlineKeyboardButton:
    return _back_button(_step(SellerStepAction.back, at, dialog))


def seller_panel_kb() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("📦 " + _("My products"), SellerCb(action=SellerAction.products))],
            [button("➕ " + _("Add product"), SellerCb(action=SellerAction.add))],
            [home_button()],
        ]
    )


def my_products_kb(products: Sequence[Listed], page: int, pages: int) -> InlineKeyboardMarkup:
    rows = [
        [
            button(
                ("" if p.is_active else "🙈 ") + trim(p.name, _LABEL),
                SellerProductCb(id=p.id, page=page),
            )
        ]
        for p in products
    ]
    nav = numbered_pager(page, pages, lambda n: SellerCb(action=SellerAction.products, page=n))
    if nav:
        rows.append(nav)
    rows.append([button("➕ " + _("Add product"), SellerCb(action=SellerAction.add))])
    rows.append([_back_button(SellerCb(action=SellerAction.panel))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def manage_product_kb(
    product: Listed,
    page: int,
    *,
    category_id: int = 0,
    shown: bool = True,
    card: ProductCb | None = None,
) -> InlineKeyboardMarkup:
    """Back returns to the My products page `page`; opened from the card (FROM_CARD), to
    the card while customers see it (`shown`), else to its category (`category_id`):
    `card` is the card it was opened from, whose place (the category page, the search
    results) Back keeps."""
    back: CallbackData = SellerCb(action=SellerAction.products, page=page)
    if page == FROM_CARD:
        card = card or ProductCb(id=product.id)
        back = card if shown else card_back(card, category_id)

    def act(action: SellerProductAction) -> SellerProductCb:
        return SellerProductCb(id=product.id, action=action, page=page)

    toggle = (
        button("🙈 " + _("Hide"), act(SellerProductAction.hide))
        if product.is_active
        else button("👁 " + _("Show"), act(SellerProductAction.show))
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("✏️ " + _("Edit"), act(SellerProductAction.edit)), toggle],
            [button("🗑 " + _("Delete"), act(SellerProductAction.delete))],
            [_back_button(back)],
        ]
    )


def delete_confirm_kb(product: Listed, page: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    "🗑 " + _("Yes, delete"),
                    SellerProductCb(id=product.id, action=SellerProductAction.delete_ok, page=page),
                )
            ],
            [_back_button(SellerProductCb(id=product.id, page=page))],
        ]
    )


def fields_kb(product_id: int = 0, page: int = 1, dialog: int = 0) -> InlineKeyboardMarkup:
    """Which field to change: of a saved product, or (product_id 0) of the draft in the
    preview of `dialog`."""
    rows = [
        [button(field_label(f), SellerFieldCb(field=f.value, product_id=product_id, page=page))]
        for f in ProductField
    ]
    back = (
        SellerProductCb(id=product_id, page=page)
        if product_id
        else _step(SellerStepAction.preview, "preview", dialog)
    )
    rows.append([_back_button(back)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def step_kb(
    at: str, dialog: int, skip: str | None = None, *, saved: bool = False
) -> InlineKeyboardMarkup:
    """The dialog's step `at`: an optional Skip, then Back and Cancel (`saved`: a saved
    product's field, whose Cancel returns to the product)."""
    rows = []
    if skip:
        rows.append([button("⏭ " + skip, _step(SellerStepAction.skip, at, dialog))])
    rows.append([_step_back(at, dialog), _cancel(at, dialog, saved)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _cancel(at: str, dialog: int, saved: bool) -> InlineKeyboardButton:
    return cancel_button(_step(SellerStepAction.cancel, at, dialog) if saved else None)


def category_picker_kb(
    children: Sequence[Named],
    current: Named | None,
    paging: tuple[int, int],
    dialog: int,
    saved: bool = False,
) -> InlineKeyboardMarkup:
    """A level of the category picker of `dialog`: put the product here (not at the top),
    or open one of a page of subcategories (`paging`: its number and the page count)."""
    rows = []
    if current is not None:
        rows.append(
            [
                button(
                    "✅ " + _("Put it here: {name}").format(name=trim(current.name, 40)),
                    SellerCategoryCb(id=current.id, pick=True, dialog=dialog),
                )
            ]
        )
    rows += [
        [button(trim(c.name, _LABEL), SellerCategoryCb(id=c.id, dialog=dialog))] for c in children
    ]
    here = current.id if current is not None else 0
    nav = numbered_pager(*paging, lambda n: SellerCategoryCb(id=here, page=n, dialog=dialog), "📂 ")
    if nav:
        rows.append(nav)
    rows.append([_step_back("category", dialog), _cancel("category", dialog, saved)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def preview_kb(dialog: int) -> InlineKeyboardMarkup:
    publish = _step(SellerStepAction.publish, "preview", dialog)
    fields = _step(SellerStepAction.fields, "preview", dialog)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("✅ " + _("Publish"), publish)],
            [button("✏️ " + _("Edit a field"), fields)],
            [_step_back("preview", dialog), cancel_button()],
        ]
    )
