from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import CancelCb, MenuAction, MenuCb, PageCountCb

# Category buttons on one screen; more are paged. Telegram takes 100 buttons in all, and a
# category page has room for this many beside 50 products, two pagers and the way back.
CATEGORIES_PER_PAGE = 40

# Every callback button is this one with its text and data set: copying a model skips
# aiogram's validators, which cost twice as much (a list screen builds a dozen buttons).
_CALLBACK_BUTTON = InlineKeyboardButton(text="", callback_data="")


def button(text: str, callback_data: CallbackData | str) -> InlineKeyboardButton:
    data = callback_data if isinstance(callback_data, str) else callback_data.pack()
    return _CALLBACK_BUTTON.model_copy(update={"text": text, "callback_data": data})


def back_label() -> str:
    """Every Back button's label, one arrow for all (◀ ▶ page through lists)."""
    return "⬅️ " + _("Back")


def cancel_button(data: CallbackData | None = None) -> InlineKeyboardButton:
    """Cancel: ends the dialog (`data`: a dialog's own Cancel, ending it elsewhere)."""
    return button("✖️ " + _("Cancel"), data or CancelCb())


def home_button() -> InlineKeyboardButton:
    return button("🏠 " + _("Main menu"), MenuCb(action=MenuAction.home))


def cancel_kb() -> InlineKeyboardMarkup:
    """The keyboard of a dialog step that has nothing else to offer."""
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button()]])


def home_kb() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[home_button()]])


def pager_row(
    page: int,
    pages: int | None,
    prev: CallbackData | None,
    next_: CallbackData | None,
    label: str = "",
) -> list[InlineKeyboardButton]:
    """◀ n/N ▶ under every paged list: ◀ and ▶ only where that page exists; n/N (when
    the count is known, after `label` when given) says where you are and answers without
    changing anything. A list of one page has no row at all."""
    if prev is None and next_ is None:
        return []
    row = [button("◀", prev)] if prev is not None else []
    if pages:
        row.append(button(f"{label}{page}/{pages}", PageCountCb()))
    if next_ is not None:
        row.append(button("▶", next_))
    return row


def numbered_pager(
    page: int, pages: int, make: Callable[[int], CallbackData], label: str = ""
) -> list[InlineKeyboardButton]:
    """The pager of a list paged by number: `make(n)` is the press that opens page n."""
    prev = make(page - 1) if page > 1 else None
    return pager_row(page, pages, prev, make(page + 1) if page < pages else None, label)
