"""The Bot API client session: aiogram's aiohttp session, minus a per-call rebuild.

aiogram checks each answer with `Response[T]`, T being the method's result type. Pydantic
keeps such parametrized classes only through weak references, so once a call's answer
was read its class was collected and the next call of that kind built it again, schema
and validator included: 11 % of a webhook worker's CPU under load. Holding one class per
result type keeps pydantic's cache warm; the types are a fixed few (one per Bot API
method the shop calls).
"""

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod


class ShopSession(AiohttpSession):
    _kept: dict[Any, type] = {}  # result type -> Response[result type], for every session

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        returning = method.__returning__
        if returning not in self._kept:
            self._kept[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
