"""gettext i18n over the `.po` catalogs in `locales/`.

Each feature keeps its own `locales/<lang>/LC_MESSAGES/<feature>.po`; they are compiled
in memory at start-up, so there is no build step and no generated file to keep in sync.
"""

import gettext
from io import BytesIO
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject
from aiogram.types import User as TgUser
from aiogram.utils.i18n import I18n, I18nMiddleware
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from keyboards.menu import LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


class PoI18n(I18n):
    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for lang_dir in sorted(p for p in self.path.iterdir() if p.is_dir()):
            merged: gettext.GNUTranslations | None = None
            for po in sorted((lang_dir / "LC_MESSAGES").glob("*.po")):
                with po.open("rb") as fp:
                    catalog = read_po(fp, locale=lang_dir.name)
                buffer = BytesIO()
                write_mo(buffer, catalog)
                buffer.seek(0)
                part = gettext.GNUTranslations(buffer)
                if merged is None:
                    merged = part
                else:
                    merged._catalog.update(part._catalog)  # type: ignore[attr-defined]
            if merged is not None:
                translations[lang_dir.name] = merged
        return translations


# aiogram's `gettext` looks the current instance up through I18n's context variable;
# a subclass would otherwise get a variable of its own and never be found.
PoI18n._ContextInstanceMixin__context_instance = I18n._ContextInstanceMixin__context_instance  # type: ignore[attr-defined]


def create_i18n(default_locale: str = "en") -> I18n:
    return PoI18n(path=LOCALES_DIR, default_locale=default_locale, domain="messages")


def pick_language(code: str | None, default: str) -> str:
    """The catalog language that fits a Telegram language code ('ru-RU' -> 'ru')."""
    lang = (code or "").split("-")[0].lower()
    return lang if lang in LANGUAGES else default


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
