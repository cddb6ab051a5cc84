"""What a user is called where other users see them: one rule for a review's author and a
product's seller, in the bot and the web API.

Telegram gives every bot user a first name. An account made through the web API's
register has only its login, and that is never shown: it is the account's sign-in name,
and anyone who read it could fail five logins and lock the account out. Such a user has
no public name (''), and is shown as NAMELESS, translated where it is shown.
(`User.full_name`, which falls back to the login and the Telegram id, is for admins.)
"""

from services.texts import N_

NAMELESS = N_("Customer")


def public_name(
    first_name: str | None, last_name: str | None = None, username: str | None = None
) -> str:
    """The Telegram name (pass `last_name` where the full name is shown, as for sellers;
    a review shows its author's first name only), else the Telegram @username without
    the @; '' when there is neither."""
    name = " ".join(p.strip() for p in (first_name, last_name) if p and p.strip())
    return name or (username or "")
