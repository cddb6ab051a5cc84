"""The /login dialog: a login and a password for the shop's web API."""

from aiogram.utils.i18n import gettext as _

from keyboards.formatting import quote
from keyboards.login import login_kb, password_kb
from screens.base import Screen


def _title() -> str:
    # Not in an f-string: the extractor would not see the msgid (it went untranslated).
    return "<b>🔑 " + _("Web login") + "</b>"


def login_screen(current: str | None, suggestion: str | None, error: str | None = None) -> Screen:
    lines = [_title()]
    if error:
        lines.append("⚠️ " + quote(error))
    if current:
        lines.append(_("Your login now: <code>{login}</code>.").format(login=quote(current)))
    lines.append(
        _(
            "Step 1 of 2. Send the login for the shop's website and apps: 3 to 64 latin "
            "letters, digits, '_', '.' or '-'."
        )
    )
    return Screen("\n\n".join(lines), login_kb(suggestion))


def password_screen(login: str, error: str | None = None) -> Screen:
    lines = [_title()]
    if error:
        lines.append("⚠️ " + quote(error))
    lines.append(
        _(
            "Step 2 of 2. Send a password for <code>{login}</code>: at least 8 characters. "
            "The message with it will be deleted from this chat."
        ).format(login=quote(login))
    )
    return Screen("\n\n".join(lines), password_kb())


def done_screen(login: str) -> Screen:
    return Screen(
        _(
            "✅ Saved. Log in on the website with <code>{login}</code> and your new password. "
            "Send /login again to change it."
        ).format(login=quote(login))
    )


def text_only_text() -> str:
    return _("Please send it as a text message.")


def private_only_text() -> str:
    return _("Use /login in a private chat with the bot: a password must not be seen by others.")
