"""The gettext catalogs, shipped with the code: `<lang>/LC_MESSAGES/<feature>.po`, one
per feature, compiled into one `<lang>/LC_MESSAGES/messages.mo` per language when the
package is built or installed (`setup.py`), or by `python -m bot.i18n_tool compile`."""

import gettext
from functools import cache
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


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """A language's compiled catalog (the msgids themselves when it is missing): for what
    is translated outside the bot's dispatcher, the web API's answers."""
    return gettext.translation(DOMAIN, LOCALES_DIR, languages=[lang], fallback=True)


def accept_language(header: str | None, default: str) -> str:
    """The catalog language an HTTP Accept-Language header prefers ("ru-RU,ru;q=0.9,
    en;q=0.8" -> "ru"), by its q-values; `default` when it names none we have."""
    ranked = []
    for n, part in enumerate((header or "").split(",")):
        tag, *params = part.split(";")
        q = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranked.append((-q, n, tag.strip()))
    for q, _n, tag in sorted(ranked):
        lang = (tag or "").split("-")[0].lower()
        if q < 0 and lang in LANGUAGES:
            return lang
    return default
