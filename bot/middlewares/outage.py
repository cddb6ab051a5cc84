import logging
import time
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

log = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


class RedisOutageMiddleware(BaseMiddleware):
    """Redis went away while the bot runs: each update it breaks gets a short "try again"
    instead of the generic apology, and the log gets one line a minute instead of a
    traceback per update. Nothing was saved (the update's transaction rolled back)."""

    def __init__(self, i18n: I18n, url: str, every: float = 60.0) -> None:
        self.i18n = i18n
        self.url = url
        self.every = every
        self._logged = float("-inf")
        self.missed = 0  # updates refused since the last log line

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except REDIS_DOWN as exc:
            self._log(event, exc)
            await self._tell(event, data.get("event_from_user"))
            return None

    def _log(self, event: TelegramObject, exc: Exception) -> None:
        self.missed += 1
        if isinstance(event, Update) and is_payment(event):
            # Money moved: this one is logged every time, with what identifies it.
            log.error(
                "Redis at %s is unreachable: payment update %s was not handled (%s)",
                self.url,
                event.update_id,
                event.model_dump_json(exclude_none=True),
            )
        now = time.monotonic()
        if now - self._logged >= self.every:
            log.error(
                "Redis at %s is unreachable (%s): %s update(s) answered 'try again later' "
                "since the last report",
                self.url,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                self.missed,
            )
            self._logged = now
            self.missed = 0

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
