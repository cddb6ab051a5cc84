"""The command menus every chat starts with, one per language (a seller's or an admin's
own chat gets theirs from `handlers.common.refresh_menu`)."""

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.utils.i18n import I18n

from bot.i18n import LANGUAGES
from models import Role
from screens.menus import command_menu

log = logging.getLogger(__name__)


async def set_commands(bot: Bot, i18n: I18n) -> None:
    """Each language's menu, then the default one. A menu Telegram won't take now (flood
    control at a restart loop, a refusal) is logged: the shop runs without it. A token
    it rejects or no Bot API at all still stop the start (`startup.bot_api_refusals`)."""
    menus: list[tuple[str | None, str]] = [(lang, lang) for lang in LANGUAGES]
    menus.append((None, i18n.default_locale))
    try:
        for language_code, locale in menus:
            commands = command_menu(
                Role.customer, lambda text, locale=locale: i18n.gettext(text, locale=locale)
            )
            await bot.set_my_commands(commands, language_code=language_code)
    except (TelegramRetryAfter, TelegramBadRequest) as exc:
        log.warning("The command menu was not set: %s", exc.message)
