"""`python -m bot` end to end against a local server that speaks the Bot API.

This is what TELEGRAM_API_URL is for (a self-hosted Bot API server): the bot applies
its migrations, registers its commands, polls, and answers /start over real HTTP.
"""

import asyncio
import json
import logging
import time

from aiohttp import web

from bot.__main__ import run
from bot.config import Settings
from tests.tg import BOT_ID, BOT_USERNAME, TOKEN


class BotApiServer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.updates = [
            {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": 77, "type": "private", "first_name": "Eve"},
                    "from": {"id": 77, "is_bot": False, "first_name": "Eve", "language_code": "en"},
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }
        ]
        self.answered = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        assert request.match_info["token"] == TOKEN
        method = request.match_info["method"]
        params = {k: v for k, v in (await request.post()).items()}
        self.calls.append((method, params))
        result: object = True
        if method == "getMe":
            result = {"id": BOT_ID, "is_bot": True, "first_name": "Shop", "username": BOT_USERNAME}
        elif method == "getUpdates":
            offset = int(params.get("offset", 0))
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if not pending:
                await asyncio.sleep(0.05)
            result = pending
        elif method == "sendMessage":
            result = {
                "message_id": 2,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params["text"],
            }
            self.answered.set()
        return web.json_response({"ok": True, "result": result})


async def test_bot_runs_against_a_custom_bot_api_server(tmp_path, caplog):
    server = BotApiServer()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        telegram_api_url=f"http://127.0.0.1:{port}",
        redis_url=None,
    )
    caplog.set_level(logging.INFO, logger="bot")
    task = asyncio.create_task(run(settings))
    try:
        await asyncio.wait_for(server.answered.wait(), timeout=20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.cleanup()

    methods = [m for m, _ in server.calls]
    assert "setMyCommands" in methods
    # A webhook left set (the shop ran `python -m bot webhook` before) would make Telegram
    # refuse getUpdates: it is deleted first, keeping the updates waiting there.
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert dict(server.calls)["deleteWebhook"].get("drop_pending_updates") in (None, "false")
    ru_commands = next(
        json.loads(p["commands"])
        for m, p in server.calls
        if m == "setMyCommands" and p.get("language_code") == "ru"
    )
    assert {"command": "cart", "description": "Ваша корзина"} in ru_commands
    sent = next(p for m, p in server.calls if m == "sendMessage")
    assert sent["chat_id"] == "77" and "Eve" in sent["text"]
    startup = [r.getMessage() for r in caplog.records if r.name == "bot"]
    assert any(
        "Database: sqlite+aiosqlite:///" in line
        and "FSM storage: the database" in line
        and f"Bot API: http://127.0.0.1:{port}" in line
        for line in startup
    )
