from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import BaseMiddleware
from aiogram.filters.callback_data import CallbackData
from aiogram.types import TelegramObject, Update

from db.readahead import ReadFor

READ_AHEAD = "read_ahead"  # handler data: the `Read` the user lookup should carry


class ReadAheadMiddleware(BaseMiddleware):
    """Names the read a pressed button's screen needs (see `db.readahead`), for the user
    middleware to run with the sender's row. The press is decoded with aiogram's own
    `unpack`; data it refuses (forged, out of range) reads nothing ahead, and its handler
    or the fallback answers it as usual."""

    def __init__(self, reads: Mapping[type[CallbackData], ReadFor]) -> None:
        self.reads = [(cls.__prefix__ + cls.__separator__, cls, fn) for cls, fn in reads.items()]

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        callback = event.callback_query if isinstance(event, Update) else None
        if callback is not None and callback.data:
            for start, cls, read in self.reads:
                if callback.data.startswith(start):
                    try:
                        pressed = cls.unpack(callback.data)
                    except (TypeError, ValueError):
                        break
                    data[READ_AHEAD] = read(pressed, callback.from_user.id)
                    break
        return await handler(event, data)
