"""The command menu Telegram shows next to the input field, in each language."""

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n

from bot.i18n import LANGUAGES
from services.texts import N_

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
    for lang in LANGUAGES:
        commands = [
            BotCommand(command=name, description=i18n.gettext(text, locale=lang))
            for name, text in COMMANDS
        ]
        await bot.set_my_commands(commands, language_code=lang)
    await bot.set_my_commands(
        [
            BotCommand(command=name, description=i18n.gettext(text, locale=i18n.default_locale))
            for name, text in COMMANDS
        ]
    )
