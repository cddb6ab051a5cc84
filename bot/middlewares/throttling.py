import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types import User as TgUser
from aiogram.utils.i18n import I18n

from bot.i18n import pick_language


class ThrottlingMiddleware(BaseMiddleware):
    """A token bucket per user: `burst` updates at once, then `rate` a second.

    Updates over the limit are dropped before any database work. The user is told once
    per burst, so a flood of presses does not become a flood of notices.
    """

    def __init__(self, rate: float, burst: int, i18n: I18n) -> None:
        self.rate = rate
        self.burst = burst
        self.i18n = i18n
        self._buckets: dict[int, tuple[float, float, bool]] = {}  # id -> tokens, time, told

    def take(self, user_id: int) -> bool | None:
        """True to let the update through, False to drop it, None to drop and tell."""
        now = time.monotonic()
        tokens, last, told = self._buckets.get(user_id, (self.burst, now, False))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[user_id] = (tokens - 1, now, False)
            if len(self._buckets) > 50_000:
                self._forget_idle(now)
            return True
        self._buckets[user_id] = (tokens, now, True)
        return False if told else None

    def _forget_idle(self, now: float) -> None:
        full = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is None or is_payment(event):
            return await handler(event, data)
        verdict = self.take(tg_user.id)
        if verdict:
            return await handler(event, data)
        await refuse(event, tg_user, self.i18n, tell=verdict is None)
        return None


async def refuse(event: TelegramObject, tg_user: TgUser, i18n: I18n, *, tell: bool) -> None:
    """Answers an update dropped for going over the limit: "Too many requests" once
    (`tell`), then silently (a button still stops spinning)."""
    if not isinstance(event, Update):
        return
    if tell:
        locale = pick_language(tg_user.language_code, i18n.default_locale)
        text = i18n.gettext("Too many requests. Please wait a moment.", locale=locale)
        if event.callback_query is not None:
            await event.callback_query.answer(text)
        elif event.message is not None:
            await event.message.answer(text)
    elif event.callback_query is not None:
        await event.callback_query.answer()


def is_payment(update: TelegramObject) -> bool:
    """Payment updates are never dropped: Telegram has taken (or is about to take) the
    money and will not send them again."""
    if not isinstance(update, Update):
        return False
    if update.pre_checkout_query is not None:
        return True
    message = update.message
    return message is not None and (
        message.successful_payment is not None or message.refunded_payment is not None
    )
