from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.types import TelegramObject


class IsolationMiddleware(BaseMiddleware):
    """One update at a time per user and chat: aiogram's event isolation, taken before
    the update's session opens rather than inside the FSM middleware, so that all an
    update reads (its sender's row, dialog state and read-ahead screen) and its commit
    happen under the lock. A double-tapped Publish then runs once: the second tap sees
    what the first committed."""

    def __init__(self, isolation: BaseEventIsolation, fsm: FSMContextMiddleware) -> None:
        self.isolation = isolation
        self.fsm = fsm

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context = self.fsm.resolve_event_context(data["bot"], data)
        if context is None:
            return await handler(event, data)
        async with self.isolation.lock(context.key):
            return await handler(event, data)
