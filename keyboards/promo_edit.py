"""Keyboards of the promo code edit dialog: what to change (and Save), each step's
buttons. Every step has Back and Cancel."""

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_owner import PromoEditAction, PromoEditCb, PromoField
from keyboards.common import button, cancel_button

Action = PromoEditAction


def edit_button(promo_id: int, page: int) -> InlineKeyboardButton:
    """On the code's card."""
    return button("✏️ " + _("Edit"), PromoEditCb(action=Action.start, id=promo_id, page=page))


def _nav() -> list[InlineKeyboardButton]:
    return [button("◀ " + _("Back"), PromoEditCb(action=Action.back)), cancel_button()]


def promo_edit_kb(changed: bool, dialog: int) -> InlineKeyboardMarkup:
    def field(label: str, which: PromoField) -> InlineKeyboardButton:
        return button(label, PromoEditCb(action=Action.field, field=which))

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
        rows.append([button("✅ " + _("Save"), PromoEditCb(action=Action.save, dialog=dialog))])
    rows.append(_nav())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def promo_edit_kind_kb() -> InlineKeyboardMarkup:
    rows = [
        [
            button("％ " + _("Percent"), PromoEditCb(action=Action.percent)),
            button("💰 " + _("Fixed amount"), PromoEditCb(action=Action.fixed)),
        ],
        _nav(),
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def promo_edit_step_kb(none_label: str | None = None) -> InlineKeyboardMarkup:
    """A typed step; `none_label`: a button that sets the term to none (No limit...)."""
    rows = [[button(none_label, PromoEditCb(action=Action.none))]] if none_label else []
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav()])
