"""The gettext catalogs, shipped with the code: `<lang>/LC_MESSAGES/<feature>.po`, one
per feature, compiled into one `<lang>/LC_MESSAGES/messages.mo` per language when the
package is built or installed (`setup.py`), or by `python -m bot.i18n_tool compile`."""

from pathlib import Path

LOCALES_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"
# The languages a user can pick; each has a catalog here.
LANGUAGES = {"en": "English", "ru": "Русский"}


def pick_language(code: str | None, default: str) -> str:
    """The catalog language that fits a Telegram language code ('ru-RU' -> 'ru'), for
    the bot and the Mini App's login alike."""
    lang = (code or "").split("-")[0].lower()
    return lang if lang in LANGUAGES else default
