"""What a user is called where other users see them: one rule for a review's author and a
product's seller, in the bot and the web API.

Telegram gives every bot user a first name. An account made through the web API's
register has only its login, and that is never shown: it is the account's sign-in name,
and anyone who read it could fail five logins and lock the account out. Such a user has
no public name (''), and is shown as NAMELESS, translated where it is shown. Admins see
`staff_name` (`User.full_name`, which falls back to the login and the Telegram id).

A Telegram name is set in Telegram, not typed in our dialogs, so it never met
`services.validation.shown_problem`: both names leave out the bidi controls that would
turn around the text around them ("\u202eevil"), and keep the rest as stored.
"""

from models import User
from services.texts import N_
from services.validation import without_bidi_controls

NAMELESS = N_("Customer")


def public_name(
    first_name: str | None, last_name: str | None = None, username: str | None = None
) -> str:
    """The Telegram name (pass `last_name` where the full name is shown, as for sellers;
    a review shows its author's first name only), else the Telegram @username without
    the @; '' when there is neither."""
    parts = (without_bidi_controls(p).strip() for p in (first_name, last_name) if p)
    name = " ".join(p for p in parts if p)
    return name or without_bidi_controls(username or "")


def staff_name(user: User) -> str:
    """What admins see a user called (their lists, cards, notifications)."""
    return without_bidi_controls(user.full_name).strip() or str(user.telegram_id or user.id)
