"""What a user is told when their update failed for a reason that isn't theirs."""

from aiogram.utils.i18n import gettext as _


def apology_text() -> str:
    return _("Sorry, something went wrong. Please try again.")
