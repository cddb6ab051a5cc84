"""The command menus every chat starts with, one per language, and the staff's own
(`jobs.notify.refresh_menu` sets a chat's, at /start, a role change or a language pick)."""

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.utils.i18n import I18n
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import LANGUAGES
from jobs.notify import refresh_menu
from models import Role
from screens.menus import command_menu
from services.users import UserService

log = logging.getLogger(__name__)

# Staff whose menus are set at start, admins first: one Bot API call each, before the
# bot serves. The others get theirs at their next /start.
STAFF_MENUS_AT_START = 50


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
    try:
        async with pool() as session:
            staff = await UserService(session).staff(limit=STAFF_MENUS_AT_START)
        for user in staff:  # each refusal is logged by refresh_menu; the start goes on
            await refresh_menu(bot, i18n, user, flood=True)
    except TelegramRetryAfter as exc:  # the rest get theirs at their next /start
        log.warning(
            "Staff command menus: Telegram asks to wait %s s; the rest at /start", exc.retry_after
        )
    except (SQLAlchemyError, OSError) as exc:
        log.warning("Staff command menus were not set: %s", exc)
