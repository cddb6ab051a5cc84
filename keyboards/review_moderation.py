"""Keyboards of review moderation: in a notification (page 0) and on the admin list."""

from collections.abc import Sequence
from typing import Protocol

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import AdminAction, AdminCb, ModAction, ModReviewCb, ModReviewsCb
from keyboards.common import back_label, button, home_button, numbered_pager
from keyboards.formatting import number


class Moderated(Protocol):
    """What the moderation buttons need of a review."""

    @property
    def id(self) -> int: ...

    @property
    def is_visible(self) -> bool: ...


def _action(text: str, action: ModAction, review_id: int, page: int):
    return button(text, ModReviewCb(action=action, review_id=review_id, page=page))


def moderation_row(review: Moderated, page: int, numbered: bool = False) -> list:
    """Hide (or Show) and Delete for one review; `numbered` labels them with its id."""
    suffix = f" {number(review.id)}" if numbered else ""
    if review.is_visible:
        toggle = _action("🙈 " + _("Hide") + suffix, ModAction.hide, review.id, page)
    else:
        toggle = _action("👁 " + _("Show") + suffix, ModAction.unhide, review.id, page)
    return [toggle, _action("🗑 " + _("Delete") + suffix, ModAction.delete, review.id, page)]


def moderation_kb(review: Moderated, page: int) -> InlineKeyboardMarkup:
    rows = [moderation_row(review, page)]
    if page:
        rows.append([button(back_label(), ModReviewsCb(page=page))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_delete_kb(review_id: int, page: int) -> InlineKeyboardMarkup:
    yes = _action("🗑 " + _("Yes, delete"), ModAction.confirm, review_id, page)
    # Back re-shows where the admin came from (the notice, or the list page).
    back = _action("⬅️ " + _("No, go back"), ModAction.back, review_id, page)
    return InlineKeyboardMarkup(inline_keyboard=[[yes], [back]])


def mod_list_kb(reviews: Sequence[Moderated], page: int, pages: int) -> InlineKeyboardMarkup:
    rows = [moderation_row(r, page, numbered=True) for r in reviews]
    nav = numbered_pager(page, pages, lambda n: ModReviewsCb(page=n))
    if nav:
        rows.append(nav)
    rows.append([button("⚙️ " + _("Admin panel"), AdminCb(action=AdminAction.panel)), home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)
