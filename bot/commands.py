"""The command menus every chat starts with, one per language (a seller's or an admin's
own chat gets theirs from `handlers.common.refresh_menu`)."""

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import LANGUAGES
from jobs.notify import refresh_menu
from models import Role
from screens.menus import command_menu
from services.users import UserService

log = logging.getLogger(__name__)


async def set_commands(
    bot: Bot, i18n: I18n, pool: async_sessionmaker[AsyncSession] | None = None
) -> None:
    """Each language's menu, then the default one, then each seller's and admin's own
    (`pool`: where to find them; ADMIN_IDS made admin at this start never pressed
    anything that would set theirs). A menu Telegram won't take now (flood control at a
    restart loop, a refusal) is logged: the shop runs without it. A token it rejects or
    no Bot API at all still stop the start (`startup.bot_api_refusals`)."""
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
        return
    if pool is None:
        return
    async with pool() as session:
        staff = await UserService(session).staff()
    for user in staff:  # each failure is logged by refresh_menu; the start goes on
        await refresh_menu(bot, i18n, user)
