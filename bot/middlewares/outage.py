import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types import User as TgUser
from aiogram.utils.i18n import I18n
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.i18n import pick_language
from bot.middlewares.throttling import is_payment
from db.outage import OutageLog

log = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


class RedisOutageMiddleware(BaseMiddleware):
    """Redis went away while the bot runs: each update it breaks gets a short "try again"
    instead of the generic apology, and the log gets one line a minute instead of a
    traceback per update. Nothing was saved (the update's transaction rolled back)."""

    def __init__(self, i18n: I18n, url: str, every: float = 60.0) -> None:
        self.i18n = i18n
        self.log = OutageLog(log, f"Redis at {url}", every)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except REDIS_DOWN as exc:
            paid = isinstance(event, Update) and is_payment(event)
            payment = (event.update_id, event.model_dump_json(exclude_none=True)) if paid else None
            self.log.turned_away(exc, payment)  # type: ignore[arg-type]
            await self._tell(event, data.get("event_from_user"))
            return None

    async def _tell(self, event: TelegramObject, tg_user: TgUser | None) -> None:
        if not isinstance(event, Update) or tg_user is None:
            return
        locale = pick_language(tg_user.language_code, self.i18n.default_locale)
        text = self.i18n.gettext(
            "The shop is having technical trouble. Please try again in a minute.", locale=locale
        )
        try:
            if event.callback_query is not None:
                await event.callback_query.answer(text, show_alert=True)
            elif event.message is not None:
                await event.message.answer(text)
        except Exception as exc:  # the notice is best effort; the log line is the record
            log.debug("Could not tell user %s about the outage: %s", tg_user.id, exc)
