"""Messages the bot sends on its own to someone other than the sender: notifications."""

import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from models import User
from screens.base import Screen
from services.users import UserService

log = logging.getLogger(__name__)


async def notify(
    bot: Bot, session: AsyncSession, i18n: I18n, to: User, render: Callable[[str], Screen]
) -> bool:
    """One message to `to`, rendered in their language (`render(locale)` runs with it
    set). Never raises: what caused the notice has already happened. A user who blocked
    the bot is marked inactive, so broadcasts skip them until they write again."""
    with i18n.use_locale(to.language):
        screen = render(to.language)
    try:
        await bot.send_message(to.telegram_id, screen.text, reply_markup=screen.markup)
        return True
    except TelegramForbiddenError:
        log.info("User %s blocked the bot; not notified", to.telegram_id)
        await UserService(session).mark_unreachable(to)
    except TelegramAPIError as exc:
        log.warning("Could not notify user %s: %s", to.telegram_id, exc)
    return False
