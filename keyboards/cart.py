from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import (
    CartAction,
    CartCb,
    CheckoutAction,
    CheckoutCb,
    MenuAction,
    MenuCb,
)
from keyboards.common import back_label, button, cancel_button, home_button
from keyboards.formatting import trim
from services.cart import Cart


def cart_kb(cart: Cart, promo_code: str | None = None) -> InlineKeyboardMarkup:
    rows = []
    for n, line in enumerate(cart.lines, 1):
        rows.append(
            [
                button("➖", CartCb(action=CartAction.dec, product_id=line.product_id)),
                button(
                    f"{n}. {trim(line.name, 20)} × {line.quantity}",
                    CartCb(action=CartAction.show),
                ),
                button("➕", CartCb(action=CartAction.inc, product_id=line.product_id)),
                button("❌", CartCb(action=CartAction.remove, product_id=line.product_id)),
            ]
        )
    if cart.lines:
        if promo_code is None:
            rows.append([button("🏷 " + _("Promo code"), CartCb(action=CartAction.promo))])
        else:
            label = "🏷 " + _("Remove the code {code}").format(code=promo_code)
            rows.append([button(label, CartCb(action=CartAction.promo_off))])
        rows.append(
            [
                button("🗑 " + _("Empty the cart"), CartCb(action=CartAction.clear)),
                button("✅ " + _("Checkout"), CartCb(action=CartAction.checkout)),
            ]
        )
    else:
        rows.append([button("🛍 " + _("Catalog"), MenuCb(action=MenuAction.catalog))])
    rows.append([home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# The checkout dialog


def cancel_label() -> str:
    return "✖️ " + _("Cancel")


def step_kb(*extra: list, back: bool = True) -> InlineKeyboardMarkup:
    """A dialog step's buttons: its own ones, then Back and Cancel."""
    rows = [list(row) for row in extra]
    last = [cancel_button()]
    if back:
        last.insert(0, button(back_label(), CheckoutCb(action=CheckoutAction.back)))
    rows.append(last)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def promo_prompt_kb() -> InlineKeyboardMarkup:
    """The promo code step: Back to the cart, Cancel."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(back_label(), CartCb(action=CartAction.show)), cancel_button()]]
    )


def keep_label() -> str:
    return "✅ " + _("Keep")


def _keep(keep: bool) -> list[list[InlineKeyboardButton]]:
    """Keep, on a step answered before: its answer stays, on to the next step."""
    return [[button(keep_label(), CheckoutCb(action=CheckoutAction.keep))]] if keep else []


def name_kb(keep: bool = False) -> InlineKeyboardMarkup:
    return step_kb(*_keep(keep))


def phone_kb(keep: bool = False) -> ReplyKeyboardMarkup:
    """Telegram only offers "share my phone" on a reply keyboard; Keep (when there is a
    number already), Back and Cancel go with it."""
    rows = [[KeyboardButton(text="📱 " + _("Share my phone"), request_contact=True)]]
    if keep:
        rows.append([KeyboardButton(text=keep_label())])
    rows.append([KeyboardButton(text=back_label()), KeyboardButton(text=cancel_label())])
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)


def address_kb(pickup: bool, keep: bool = False) -> InlineKeyboardMarkup:
    extra = [[button("🏬 " + _("I'll pick it up"), CheckoutCb(action=CheckoutAction.pickup))]]
    return step_kb(*_keep(keep), *(extra if pickup else []))


def comment_kb(keep: bool = False) -> InlineKeyboardMarkup:
    skip = [button("⏭ " + _("No comment"), CheckoutCb(action=CheckoutAction.skip))]
    return step_kb(*_keep(keep), skip)


def summary_kb(dialog: int) -> InlineKeyboardMarkup:
    confirm = CheckoutCb(action=CheckoutAction.confirm, dialog=dialog)
    return step_kb(
        [
            button("✅ " + _("Confirm"), confirm),
            button("✏️ " + _("Edit"), CheckoutCb(action=CheckoutAction.edit)),
        ]
    )


def card_limit_kb(promo_code: str | None) -> InlineKeyboardMarkup:
    """A total a card can't pay: without the code (a fresh summary; `promo_code` is given
    when the total is too small), or back to the cart; Back and Cancel as on the summary."""
    rows = []
    if promo_code is not None:
        label = "🏷 " + _("Remove the code {code}").format(code=promo_code)
        rows.append([button(label, CheckoutCb(action=CheckoutAction.promo_off))])
    rows.append([button("🛒 " + _("Back to the cart"), CartCb(action=CartAction.show))])
    return step_kb(*rows)
