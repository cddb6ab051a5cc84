"""Keyboards of promo codes: the admins' list, a code's card, the create dialog."""

from collections.abc import Callable, Sequence
from functools import partial

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.admin import panel_button
from keyboards.callback_owner import AdminPromoCb, PromoAction
from keyboards.common import back_label, button, cancel_button, numbered_pager
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
    back = button(back_label(), AdminPromoCb(action=PromoAction.list, page=page))
    return InlineKeyboardMarkup(inline_keyboard=[[edit_button(promo.id, page), toggle], [back]])


def _step(at: str, dialog: int) -> Callable[..., AdminPromoCb]:
    """The create dialog's buttons at step `at` of `dialog`."""
    return partial(AdminPromoCb, at=at, dialog=dialog)


def _nav(cb: Callable[..., AdminPromoCb], skip: bool = False, back: bool = True) -> list:
    row = []
    if back:
        row.append(button(back_label(), cb(action=PromoAction.back)))
    row.append(cancel_button())
    rows = [row]
    if skip:
        rows.insert(0, [button("⏭ " + _("Skip"), cb(action=PromoAction.skip))])
    return rows


def promo_step_kb(
    at: str, dialog: int, *, skip: bool = False, back: bool = True
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=_nav(_step(at, dialog), skip, back))


def promo_kind_kb(dialog: int) -> InlineKeyboardMarkup:
    cb = _step("kind", dialog)
    rows = [
        [
            button("％ " + _("Percent"), cb(action=PromoAction.percent)),
            button("💰 " + _("Fixed amount"), cb(action=PromoAction.fixed)),
        ],
        *_nav(cb),
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def promo_category_kb(
    tree: Sequence[TreeItem], paging: tuple[int, int], dialog: int
) -> InlineKeyboardMarkup:
    """Any category, or one of a page of the tree (`paging`: its number and the page
    count)."""
    cb = _step("category", dialog)
    rows = [[button("🌐 " + _("Any category"), cb(action=PromoAction.category, id=0))]]
    rows += [
        [
            button(
                "   " * item.indent + "📂 " + trim(item.name, 40),
                cb(action=PromoAction.category, id=item.id),
            )
        ]
        for item in tree
    ]
    nav = numbered_pager(*paging, lambda n: cb(action=PromoAction.categories, page=n), "📂 ")
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=rows + _nav(cb))


def promo_preview_kb(dialog: int) -> InlineKeyboardMarkup:
    cb = _step("preview", dialog)
    rows = [[button("✅ " + _("Create"), cb(action=PromoAction.create))], *_nav(cb)]
    return InlineKeyboardMarkup(inline_keyboard=rows)
