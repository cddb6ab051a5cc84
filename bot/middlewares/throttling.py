import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types import User as TgUser
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

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

    async def take(self, user_id: int) -> bool | None:
        return self._take(user_id)

    def _take(self, user_id: int) -> bool | None:
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
        verdict = await self.take(tg_user.id)
        if verdict:
            return await handler(event, data)
        if verdict is None and isinstance(event, Update):
            locale = pick_language(tg_user.language_code, self.i18n.default_locale)
            text = self.i18n.gettext("Too many requests. Please wait a moment.", locale=locale)
            if event.callback_query is not None:
                await event.callback_query.answer(text)
            elif event.message is not None:
                await event.message.answer(text)
        elif isinstance(event, Update) and event.callback_query is not None:
            await event.callback_query.answer()
        return None


# The same bucket, kept in Redis so that every worker counts the same presses. Redis's own
# clock (TIME) serves all workers; the script runs atomically. Returns 1: through,
# 0: drop, 2: drop and tell.
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local v = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'told')
local tokens = tonumber(v[1]) or burst
local last = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local verdict, told = 1, '0'
if tokens >= 1 then
  tokens = tokens - 1
elseif v[3] == '1' then
  verdict, told = 0, '1'
else
  verdict, told = 2, '1'
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now), 'told', told)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return verdict
"""


class RedisThrottlingMiddleware(ThrottlingMiddleware):
    """The token bucket in Redis: several workers share each user's budget."""

    def __init__(self, rate: float, burst: int, i18n: I18n, redis: Redis, prefix: str) -> None:
        super().__init__(rate, burst, i18n)
        self.prefix = prefix
        self._script = redis.register_script(_TAKE)

    async def take(self, user_id: int) -> bool | None:
        key = f"{self.prefix}:throttle:{user_id}"
        verdict = await self._script(keys=[key], args=[self.rate, self.burst])
        return {1: True, 0: False}.get(int(verdict))


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
