from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from jobs.restock import RestockSender
from services.restock import DUE_FLAG


class WakeRestockSender(BaseMiddleware):
    """Wakes the back-in-stock sender after an update whose transaction made alerts due
    (a seller raised a stock, an order was cancelled...). It sits outside the session
    middleware, so it runs once the update has committed: the sender then sees the rows.
    Whatever changes stock, in any handler, needs nothing more than the service call."""

    def __init__(self, sender: RestockSender) -> None:
        self.sender = sender

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        session = data.get("session")
        if session is not None and session.info.pop(DUE_FLAG, False):
            self.sender.wake()
        return result
