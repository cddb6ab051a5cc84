"""A stub Bot API on loopback: answers every method at once with a plausible result and
counts the calls. `getUpdates` serves updates queued with `push` (long polling). Used by
benchmarks/webhook.py and the webhook tests (tests/test_webhook*.py)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from benchmarks import lean_http

BOT = {"id": 42, "is_bot": True, "first_name": "Shop", "username": "shop_bot"}
Hook = Callable[[str, dict[str, Any]], Awaitable[None]]


class StubBotAPI:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.keep = True  # keep each request's parameters (tests); off in benchmarks
        self.hook: Hook | None = None  # awaited before answering (hold or fail a call)
        self.answered: dict[str, float] = {}  # callback_query_id -> when answered
        self.on_answer: Callable[[str], None] | None = None
        self._message_ids = itertools.count(1000)
        self._updates: list[dict[str, Any]] = []
        self._new = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.lean: asyncio.Server | None = None
        self.url = ""

    async def start(self, port: int = 0, lean: bool = False) -> str:
        """`lean`: serve with benchmarks/lean_http.py (urlencoded calls only, no files),
        a tenth of aiohttp's CPU per call, for the load benchmarks."""
        if lean:
            self.lean = await lean_http.serve(self._answer_raw, port=port)
            self.url = f"http://127.0.0.1:{self.lean.sockets[0].getsockname()[1]}"
            return self.url
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self.lean is not None:
            self.lean.close()
        if self.runner is not None:
            await self.runner.cleanup()

    def push(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._new.set()

    def sent_to(self, chat_id: int, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [p for m, p in self.requests if m == method and int(p.get("chat_id", 0)) == chat_id]

    async def _handle(self, request: web.Request) -> web.Response:
        params = dict(await request.post()) if request.can_read_body else {}
        status, body = await self._answer(request.match_info["method"], params)
        return web.json_response(body, status=status)

    async def _answer_raw(self, method: str, params: dict[str, str]) -> tuple[int, bytes]:
        status, body = await self._answer(method, params)
        return status, json.dumps(body).encode()

    async def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls[method] += 1
        if self.keep:
            self.requests.append((method, params))
        if self.hook is not None:
            try:
                await self.hook(method, params)
            except _Refuse as refusal:
                return refusal.body["error_code"], refusal.body
        if method == "getUpdates":
            result: Any = await self._get_updates(params)
        else:
            result = self._result(method, params)
        if method == "answerCallbackQuery":
            query_id = str(params.get("callback_query_id"))
            self.answered[query_id] = time.perf_counter()
            if self.on_answer is not None:
                self.on_answer(query_id)
        return 200, {"ok": True, "result": result}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), float(params.get("timeout") or 0) or 0.01)
            except TimeoutError:
                return []
        return self._updates[:limit]

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method in {
            "sendMessage",
            "sendPhoto",
            "editMessageText",
            "editMessageCaption",
            "editMessageReplyMarkup",
            "sendInvoice",
        }:
            chat_id = int(params.get("chat_id") or 0)
            message_id = int(params.get("message_id") or next(self._message_ids))
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT,
                "text": params.get("text") or params.get("caption") or "",
            }
            if params.get("reply_markup"):
                markup = json.loads(str(params["reply_markup"]))
                if "inline_keyboard" in markup:
                    message["reply_markup"] = markup
            return message
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True


class _Refuse(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        self.body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            self.body["parameters"] = {"retry_after": retry_after}


def refuse(code: int, description: str, retry_after: int | None = None) -> _Refuse:
    """Raise this from a hook to make the stub refuse the call."""
    return _Refuse(code, description, retry_after)
