from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import CancelCb, MenuAction, MenuCb


def button(text: str, callback_data: object) -> InlineKeyboardButton:
    data = callback_data if isinstance(callback_data, str) else callback_data.pack()  # type: ignore[attr-defined]
    return InlineKeyboardButton(text=text, callback_data=data)


def cancel_button() -> InlineKeyboardButton:
    return button("✖️ " + _("Cancel"), CancelCb())


def home_button() -> InlineKeyboardButton:
    return button("🏠 " + _("Main menu"), MenuCb(action=MenuAction.home))


def cancel_kb() -> InlineKeyboardMarkup:
    """The keyboard of a dialog step that has nothing else to offer."""
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button()]])


def home_kb() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[home_button()]])
