"""gettext i18n: aiogram's own `I18n` over the catalogs compiled into `locales/`.

The `.po` files are compiled into one `messages.mo` per language when the package is
built or installed (see `locales/compile.py`), never at start-up.
"""

import logging
from typing import Any

from aiogram.types import TelegramObject
from aiogram.types import User as TgUser
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.config import ConfigError
from locales import DOMAIN, LANGUAGES, LOCALES_DIR, pick_language
from locales.compile import compiled_path, stale

__all__ = ["LANGUAGES", "LOCALES_DIR", "UserI18nMiddleware", "create_i18n", "pick_language"]

log = logging.getLogger(__name__)


def create_i18n(default_locale: str = "en") -> I18n:
    missing = [lang for lang in LANGUAGES if not compiled_path(LOCALES_DIR / lang).exists()]
    if missing:
        raise ConfigError(
            f"The translations are not compiled ({', '.join(missing)}): install the bot "
            "with pip, or run python -m bot.i18n_tool compile"
        )
    if outdated := stale(LOCALES_DIR):
        # Only in a checkout, where the .po files sit next to what was compiled.
        log.warning(
            "Translations older than their .po files (%s): run python -m bot.i18n_tool compile",
            ", ".join(outdated),
        )
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


class UserI18nMiddleware(I18nMiddleware):
    """The language the user chose (stored on their row), else their Telegram language."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("user")
        if user is not None:
            locale = user.language
        else:
            tg_user: TgUser | None = data.get("event_from_user")
            code = tg_user.language_code if tg_user else None
            locale = pick_language(code, self.i18n.default_locale)
        # Kept in the data so the errors router can answer in the same language after
        # the session (and the user row with it) is gone.
        data["locale"] = locale
        return locale
