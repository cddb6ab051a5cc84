"""What the bot says to what no feature handled."""

from aiogram.utils.i18n import gettext as _

from keyboards.common import cancel_kb
from keyboards.menu import main_menu_kb
from models import Role
from screens.base import Screen


def stale_button_text() -> str:
    return _("This button is out of date. Open the menu again: /start")


def unknown_message_screen(role: Role, *, in_dialog: bool) -> Screen:
    if in_dialog:
        text = _("That's not what this step expects. Send what was asked, or /cancel to leave.")
        return Screen(text, cancel_kb())
    return Screen(_("I didn't understand that. Choose from the menu:"), main_menu_kb(role))
