"""An in-process aiogram session answered by the playground's Bot API model.

No HTTP: each call is turned into the parameters `AiohttpSession` would post (through
aiogram's own `prepare_value`, so defaults such as `parse_mode` apply), answered by
`BotApi`, and the answer parsed back as aiogram parses Telegram's (`check_response`), so
a broken rule is the same `TelegramBadRequest` the bot gets from Telegram. This is what
lets the tests' fake session share the playground's rules instead of keeping a copy.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import InputFile
from aiohttp import ClientResponseError, RequestInfo
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from playground.botapi import BotApi, UnknownMethod
from playground.rules import BadRequest


class RulesSession(BaseSession):
    def __init__(self, api: BotApi) -> None:
        super().__init__()
        self.rules = api

    async def close(self) -> None:
        pass

    async def stream_content(
        self, url: str, headers: dict[str, Any] | None = None, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[bytes, None]:
        """A file's download (`/file/bot<token>/<file_path>`, the path `getFile` gave);
        an unknown one is the 404 Telegram's file server answers."""
        found = self.rules.content(url.rpartition("/")[2]) if "/file/bot" in url else None
        if found is None:
            raise ClientResponseError(
                RequestInfo(URL(url), "GET", CIMultiDictProxy(CIMultiDict())), (), status=404
            )
        yield found[0]

    def params(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
        """The call's form fields as `AiohttpSession` sends them; uploads become file ids."""
        files: dict[str, InputFile] = {}
        params = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                params[key] = prepared
        # An upload's bytes are kept (BufferedInputFile's), so a test can read a sent file.
        uploaded = {
            key: self.rules.add_file(
                data=getattr(file, "data", b""),
                mime="application/octet-stream",
                name=file.filename or str(file),
            )
            for key, file in files.items()
        }
        return {
            key: uploaded.get(value[len("attach://") :], value)
            if isinstance(value, str) and value.startswith("attach://")
            else value
            for key, value in params.items()
        }

    def answer(self, bot: Bot, method: TelegramMethod[Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) the Bot API would give for `method`."""
        try:
            result = self.rules.call(method.__api_method__, self.params(bot, method))
        except UnknownMethod:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        except BadRequest as exc:
            body = {
                "ok": False,
                "error_code": exc.code,
                "description": f"Bad Request: {exc.description}",
            }
            return exc.code, body
        return 200, {"ok": True, "result": result}

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        status, body = self.answer(bot, method)
        response = self.check_response(bot, method, status, json.dumps(body))
        return response.result
