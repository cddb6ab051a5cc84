"""The playground's aiohttp app: the Bot API for the bot, the chat page for people.

- `/bot<token>/<method>`: the Bot API (`playground.botapi`), `getUpdates` long-polled.
- `/`, `/static/...`: the page; `/ws?persona=<key>`: one persona's chat, live.
- `/file/<id>`, `/img/<name>.png`: photos people sent and the demo's pictures.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from playground import images, render
from playground.botapi import BotApi, UnknownMethod
from playground.people import ActionError, People
from playground.personas import PERSONAS, by_key
from playground.rules import NOT_MODIFIED, BadRequest

log = logging.getLogger(__name__)

STATIC = resources.files("playground") / "static"
MAX_POLL = 50.0
MAX_PHOTO = 5 * 1024 * 1024


class Playground:
    """The Bot API and the people, with the pages that watch each chat."""

    def __init__(self, token: str, me: dict[str, Any], file_dir: Path | None = None) -> None:
        self.token = token
        self.api = BotApi(me, file_dir=file_dir)
        self.people = People(self.api)
        for persona in PERSONAS:
            self.people.add(persona.user(), persona.phone)
        # Each open page's outbox, by chat: one writer per page keeps events in order.
        self.sockets: dict[int, dict[web.WebSocketResponse, asyncio.Queue]] = {}
        self.arrived = asyncio.Event()
        self.people.on_update.append(self.arrived.set)
        # Set on shutdown: a getUpdates long poll in flight returns at once, instead of
        # holding the server's graceful stop for the rest of its timeout.
        self.closing = False
        self.api.listeners.append(self._push)
        # Refused and unknown calls, for the log and tests (the latest hundred).
        self.problems: collections.deque[str] = collections.deque(maxlen=100)

    # -- to the pages --------------------------------------------------------------------

    def _push(self, chat_id: int, event: dict[str, Any]) -> None:
        if event["type"] == "message":
            event = {
                "type": "message",
                "message": render.for_page(event["message"], self.api.me["id"]),
            }
        elif event["type"] == "commands":  # the chat's menu as it is now
            event = {"type": "commands", "commands": self._commands(chat_id)}
        for outbox in self.sockets.get(chat_id, {}).values():
            outbox.put_nowait(event)

    def _problem(self, chat_id: int | None, text: str) -> None:
        log.warning("%s", text)
        self.problems.append(text)
        targets = [chat_id] if chat_id in self.api.chats else list(self.api.chats)
        for target in targets:
            self._push(target, {"type": "error", "text": text})

    def _commands(self, chat_id: int) -> list[dict[str, str]]:
        """The chat's command menu, in its user's Telegram language."""
        user = self.people.users.get(chat_id) or {}
        return self.api.menu_for(chat_id, str(user.get("language_code") or ""))

    def snapshot(self, user_id: int) -> dict[str, Any]:
        log_ = self.api.chats[user_id]
        commands = self._commands(user_id)
        return {
            "type": "snapshot",
            "bot": {"name": self.api.me["first_name"], "username": self.api.me["username"]},
            "personas": [{"key": p.key, "label": p.label} for p in PERSONAS],
            "messages": [render.for_page(m, self.api.me["id"]) for m in log_.messages.values()],
            "keyboard": log_.keyboard,
            "commands": commands,
        }

    # -- Bot API -------------------------------------------------------------------------

    async def bot_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _fail(401, "Unauthorized")
        method = request.match_info["method"]
        try:
            params = await _params(request, self.api)
        except ValueError:
            return _fail(400, "Bad Request: can't parse the request")
        if method.lower() == "getupdates":
            return _ok(await self._get_updates(params))
        try:
            result = self.api.call(method, params)
        except UnknownMethod:
            self._problem(None, f"The bot called {method}, which the playground does not know")
            return _fail(404, "Not Found")
        except BadRequest as exc:
            if exc.description == NOT_MODIFIED:
                # Bots meet this one on purpose (a repeated press): an answer, not a fault.
                log.debug("%s: message is not modified", method)
            else:
                self._problem(_chat_id(params), f"{method} refused: Bad Request: {exc.description}")
            return _fail(exc.code, f"Bad Request: {exc.description}")
        return _ok(result)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            offset = int(params.get("offset") or 0)
            limit = int(params.get("limit") or 100)
            timeout = min(float(params.get("timeout") or 0), MAX_POLL)
        except ValueError:
            offset, limit, timeout = 0, 100, 0.0
        self.arrived.clear()  # before looking, so an update that comes meanwhile wakes us
        updates = self.people.take(offset, limit)
        if not updates and timeout > 0 and not self.closing:
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout)
            except TimeoutError:
                pass
            updates = self.people.take(offset, limit)
        return updates

    # -- the page ------------------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        persona = by_key(request.query.get("persona", "")) or PERSONAS[0]
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        user_id = persona.user_id
        outbox: asyncio.Queue = asyncio.Queue()
        outbox.put_nowait(self.snapshot(user_id))
        self.sockets.setdefault(user_id, {})[ws] = outbox
        writer = asyncio.create_task(_write(ws, outbox))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    self.act(user_id, json.loads(msg.data))
                except (ActionError, ValueError, TypeError, KeyError) as exc:
                    reason = str(exc) if isinstance(exc, ActionError) else "bad request"
                    outbox.put_nowait({"type": "answer", "text": reason, "show_alert": False})
        finally:
            self.sockets[user_id].pop(ws, None)
            writer.cancel()
        return ws

    def act(self, user_id: int, action: Any) -> None:
        if not isinstance(action, dict):
            raise ActionError("unknown action")
        kind = action.get("action")
        if kind == "text":
            self.people.send_text(user_id, str(action["text"]))
        elif kind == "contact":
            self.people.send_contact(user_id)
        elif kind == "press":
            self.people.press(
                user_id, int(action["message_id"]), int(action["row"]), int(action["column"])
            )
        elif kind == "pay":
            self.people.pay(user_id, int(action["message_id"]))
        elif kind == "inline":
            self.people.inline_query(user_id, str(action.get("query", "")))
        elif kind == "inline_choose":
            self.people.choose_inline(user_id, action.get("result"))
        else:
            raise ActionError("unknown action")

    async def upload_photo(self, request: web.Request) -> web.Response:
        persona = by_key(request.query.get("persona", ""))
        if persona is None:
            return web.json_response({"error": "unknown persona"}, status=400)
        try:
            form = await request.post()
        except ValueError:
            return web.json_response({"error": "the photo is too big"}, status=400)
        photo = form.get("photo")
        if not isinstance(photo, web.FileField):
            return web.json_response({"error": "no photo"}, status=400)
        data = photo.file.read(MAX_PHOTO + 1)
        if len(data) > MAX_PHOTO:
            return web.json_response({"error": "the photo is over 5 MB"}, status=400)
        try:
            self.people.send_photo(
                persona.user_id, data, photo.content_type, str(form.get("caption", ""))
            )
        except ActionError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def file(self, request: web.Request) -> web.Response:
        found = self.api.content(request.match_info["file_id"])
        if found is None:
            raise web.HTTPNotFound()
        response = web.Response(body=found[0], content_type=found[1])
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def picture(self, request: web.Request) -> web.Response:
        return _png(images.picture(request.match_info["name"]))

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_PHOTO + 64 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self.bot_api)
        app.router.add_get("/", _index)
        app.router.add_get("/static/{name}", _static)
        app.router.add_get("/ws", self.websocket)
        app.router.add_post("/photo", self.upload_photo)
        app.router.add_get("/file/{file_id}", self.file)
        app.router.add_get("/img/{name}.png", self.picture)
        app.on_shutdown.append(self._close_sockets)
        return app

    async def _close_sockets(self, app: web.Application) -> None:
        self.closing = True
        self.arrived.set()
        for sockets in self.sockets.values():
            for ws in list(sockets):
                await ws.close()  # the page reconnects to the next run


async def _write(ws: web.WebSocketResponse, outbox: asyncio.Queue) -> None:
    """Sends a page its events in the order they happened."""
    while True:
        event = await outbox.get()
        try:
            await ws.send_json(event)
        except (ConnectionError, RuntimeError):
            return  # the page went away; it gets a snapshot when it comes back


async def _params(request: web.Request, api: BotApi) -> dict[str, Any]:
    """The call's parameters; an uploaded file becomes a file id (`attach://` or direct)."""
    params: dict[str, Any] = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = {}
            params.update(body if isinstance(body, dict) else {})
        else:
            form = await request.post()
            files = {}
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    mime = value.content_type or "application/octet-stream"
                    data = value.file.read()
                    files[key] = api.add_file(data=data, mime=mime, name=value.filename)
                else:
                    params[key] = value
            for key, value in list(params.items()):
                if isinstance(value, str) and value.startswith("attach://"):
                    params[key] = files.get(value[len("attach://") :], value)
            for key, file_id in files.items():
                params.setdefault(key, file_id)
    return params


def _chat_id(params: dict[str, Any]) -> int | None:
    try:
        return int(params.get("chat_id") or params.get("user_id") or "")
    except ValueError:
        return None


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _fail(code: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description}, status=code
    )


def _png(data: bytes) -> web.Response:
    return web.Response(body=data, content_type="image/png")


async def _index(request: web.Request) -> web.Response:
    return web.Response(text=(STATIC / "index.html").read_text("utf-8"), content_type="text/html")


_TYPES = {".js": "application/javascript", ".css": "text/css", ".html": "text/html"}


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or name.startswith(".") or suffix not in _TYPES:
        raise web.HTTPNotFound()
    resource = STATIC / name
    if not resource.is_file():
        raise web.HTTPNotFound()
    return web.Response(text=resource.read_text("utf-8"), content_type=_TYPES[suffix])
