"""The /login dialog's buttons."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_base import Grows
from keyboards.common import cancel_button


class LoginCb(Grows, CallbackData, prefix="lg"):
    """Keep the suggested login (worked out again on press, never carried here)."""


def login_kb(suggestion: str | None) -> InlineKeyboardMarkup:
    rows = []
    if suggestion:
        label = _("Use {login}").format(login=suggestion)
        rows.append([InlineKeyboardButton(text=label, callback_data=LoginCb().pack())])
    rows.append([cancel_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def password_kb() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button()]])
