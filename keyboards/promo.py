"""Keyboards of promo codes: the admins' list, a code's card, the create dialog."""

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.admin import panel_button
from keyboards.callback_owner import AdminPromoCb, PromoAction
from keyboards.common import button, cancel_button, numbered_pager
from keyboards.formatting import trim
from keyboards.promo_edit import edit_button
from models import PromoCode
from services.categories import TreeItem


def promo_list_kb(codes: Sequence[PromoCode], page: int, pages: int) -> InlineKeyboardMarkup:
    rows = [
        [
            button(
                ("🏷 " if c.is_active else "⛔ ") + c.code,
                AdminPromoCb(action=PromoAction.open, id=c.id, page=page),
            )
        ]
        for c in codes
    ]
    nav = numbered_pager(page, pages, lambda n: AdminPromoCb(action=PromoAction.list, page=n))
    if nav:
        rows.append(nav)
    rows.append([button("➕ " + _("New promo code"), AdminPromoCb(action=PromoAction.new))])
    rows.append([panel_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def promo_card_kb(promo: PromoCode, page: int) -> InlineKeyboardMarkup:
    if promo.is_active:
        toggle = button(
            "⛔ " + _("Disable"), AdminPromoCb(action=PromoAction.disable, id=promo.id, page=page)
        )
    else:
        toggle = button(
            "✅ " + _("Enable"), AdminPromoCb(action=PromoAction.enable, id=promo.id, page=page)
        )
    back = button("◀ " + _("Back"), AdminPromoCb(action=PromoAction.list, page=page))
    return InlineKeyboardMarkup(inline_keyboard=[[edit_button(promo.id, page), toggle], [back]])


def _nav(skip: bool = False, back: bool = True) -> list:
    row = []
    if back:
        row.append(button("◀ " + _("Back"), AdminPromoCb(action=PromoAction.back)))
    row.append(cancel_button())
    rows = [row]
    if skip:
        rows.insert(0, [button("⏭ " + _("Skip"), AdminPromoCb(action=PromoAction.skip))])
    return rows


def promo_step_kb(*, skip: bool = False, back: bool = True) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=_nav(skip, back))


def promo_kind_kb() -> InlineKeyboardMarkup:
    rows = [
        [
            button("％ " + _("Percent"), AdminPromoCb(action=PromoAction.percent)),
            button("💰 " + _("Fixed amount"), AdminPromoCb(action=PromoAction.fixed)),
        ],
        *_nav(),
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def promo_category_kb(
    tree: Sequence[TreeItem], paging: tuple[int, int] = (1, 1)
) -> InlineKeyboardMarkup:
    """Any category, or one of a page of the tree (`paging`: its number and the page
    count)."""
    rows = [[button("🌐 " + _("Any category"), AdminPromoCb(action=PromoAction.category, id=0))]]
    rows += [
        [
            button(
                "   " * item.depth + "📂 " + trim(item.name, 40),
                AdminPromoCb(action=PromoAction.category, id=item.id),
            )
        ]
        for item in tree
    ]
    nav = numbered_pager(
        *paging, lambda n: AdminPromoCb(action=PromoAction.categories, page=n), "📂 "
    )
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=rows + _nav())


def promo_preview_kb(dialog: int) -> InlineKeyboardMarkup:
    create = AdminPromoCb(action=PromoAction.create, dialog=dialog)
    rows = [[button("✅ " + _("Create"), create)], *_nav()]
    return InlineKeyboardMarkup(inline_keyboard=rows)
