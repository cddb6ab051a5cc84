"""Keyboards of the promo code edit dialog: what to change (and Save), each step's
buttons. Every step has Back and Cancel."""

from collections.abc import Callable
from functools import partial

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_owner import PromoEditAction, PromoEditCb, PromoField
from keyboards.common import back_label, button, cancel_button

Action = PromoEditAction


def edit_button(promo_id: int, page: int) -> InlineKeyboardButton:
    """On the code's card."""
    return button("✏️ " + _("Edit"), PromoEditCb(action=Action.start, id=promo_id, page=page))


def _step(at: str, dialog: int) -> Callable[..., PromoEditCb]:
    """The dialog's buttons at step `at` of `dialog`."""
    return partial(PromoEditCb, at=at, dialog=dialog)


def _nav(cb: Callable[..., PromoEditCb]) -> list[InlineKeyboardButton]:
    return [button(back_label(), cb(action=Action.back)), cancel_button()]


def promo_edit_kb(changed: bool, dialog: int) -> InlineKeyboardMarkup:
    cb = _step("menu", dialog)

    def field(label: str, which: PromoField) -> InlineKeyboardButton:
        return button(label, cb(action=Action.field, field=which))

    rows = [
        [
            field("💸 " + _("Discount"), PromoField.discount),
            field("📅 " + _("Valid until"), PromoField.expires),
        ],
        [
            field("🔢 " + _("Uses in all"), PromoField.total_uses),
            field("👤 " + _("Uses per customer"), PromoField.per_customer),
        ],
    ]
    if changed:
        rows.append([button("✅ " + _("Save"), cb(action=Action.save))])
    rows.append(_nav(cb))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def promo_edit_kind_kb(dialog: int) -> InlineKeyboardMarkup:
    cb = _step("kind", dialog)
    rows = [
        [
            button("％ " + _("Percent"), cb(action=Action.percent)),
            button("💰 " + _("Fixed amount"), cb(action=Action.fixed)),
        ],
        _nav(cb),
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def promo_edit_step_kb(at: str, dialog: int, none_label: str | None = None) -> InlineKeyboardMarkup:
    """A typed step; `none_label`: a button that sets the term to none (No limit...)."""
    cb = _step(at, dialog)
    rows = [[button(none_label, cb(action=Action.none))]] if none_label else []
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(cb)])
