from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from handlers.context import Ctx


class ContextMiddleware(BaseMiddleware):
    """Hands handlers their update's `ctx` (session, user, settings, locale, services).
    Runs after the user and language are known; updates with no sender get none."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("user")
        if user is not None:
            data["ctx"] = Ctx(data["session"], user, data["settings"], data["locale"])
        return await handler(event, data)
