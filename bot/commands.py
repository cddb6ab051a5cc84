"""The command menu Telegram shows next to the input field, in each language."""

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n

from bot.i18n import LANGUAGES
from services.texts import N_

log = logging.getLogger(__name__)

COMMANDS = (
    ("start", N_("Main menu")),
    ("catalog", N_("Browse the catalog")),
    ("search", N_("Find products")),
    ("cart", N_("Your cart")),
    ("orders", N_("Your orders")),
    ("paysupport", N_("Help with a payment")),
    ("language", N_("Change the language")),
    ("help", N_("What the bot can do")),
    ("cancel", N_("Leave the current dialog")),
    ("login", N_("A password for the shop's website")),
)


async def set_commands(bot: Bot, i18n: I18n) -> None:
    """Each language's menu, then the default one. A menu Telegram won't take now (flood
    control at a restart loop, a refusal) is logged: the shop runs without it. A token
    it rejects or no Bot API at all still stop the start (`startup.bot_api_refusals`)."""
    menus: list[tuple[str | None, str]] = [(lang, lang) for lang in LANGUAGES]
    menus.append((None, i18n.default_locale))
    try:
        for language_code, locale in menus:
            commands = [
                BotCommand(command=name, description=i18n.gettext(text, locale=locale))
                for name, text in COMMANDS
            ]
            await bot.set_my_commands(commands, language_code=language_code)
    except (TelegramRetryAfter, TelegramBadRequest) as exc:
        log.warning("The command menu was not set: %s", exc.message)
