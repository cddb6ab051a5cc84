"""What a user is told when their update failed for a reason that isn't theirs."""

from aiogram.utils.i18n import gettext as _


def apology_text() -> str:
    return _("Sorry, something went wrong. Please try again.")


def outage_text() -> str:
    """The database or Redis is unreachable: nothing was saved, and it's not the user's."""
    return _("The shop is having technical trouble. Please try again in a minute.")
