"""benchmarks/native_harness.py, the webhook benchmark's wrk + nginx harness: wrk's script
posts exactly the presses the Python harness would, and counts only answered ones; the
nginx stub answers the Bot API calls so that aiogram can parse them, and counts them.
Each test skips where its tool is not installed (apt-get install wrk nginx-light)."""

import shutil
import time

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from benchmarks.common import TOKEN
from benchmarks.native_harness import NginxBotAPI, Presses
from benchmarks.webhook import PRESSES, USERS, _press, scaling

pytestmark = pytest.mark.own_sqlite


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed")
async def test_wrk_posts_exactly_the_presses_and_counts_the_answered_ones(tmp_path):
    seen = []

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        seen.append((update, request.headers.get("X-Secret")))
        if update["update_id"] % 2:  # an answer without the button's answer: a failure
            return web.Response(text="{}")
        return web.Response(text='--b\r\nContent-Disposition: form-data; name="method"\r\n')

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    wrk = Presses(f"http://127.0.0.1:{port}/hook", {"X-Secret": "s"}, PRESSES, USERS, 3, tmp_path)
    first = 2 * USERS - 2  # crosses from the second press of the round to the third
    began = time.monotonic()
    try:
        report = await wrk.press(first, 5, limit=30)
    finally:
        await runner.cleanup()

    assert time.monotonic() - began < 10  # wrk stopped at the last answer, not at -d
    assert sorted(update["update_id"] for update, _ in seen) == list(range(first, first + 5))
    for update, secret in seen:
        assert update == _press(update["update_id"]) and secret == "s"
    assert {u["callback_query"]["data"] for u, _ in seen} == set(PRESSES[1:])
    assert (report["ok"], report["failed"], report["socket_errors"]) == (3, 2, 0)
    assert 0 < report["p50_us"] <= report["p99_us"] < 10_000_000


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed")
async def test_nginx_answers_the_bot_api_calls_and_counts_them(tmp_path):
    stub = NginxBotAPI(tmp_path, TOKEN)
    url = await stub.start()
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    try:
        assert (await bot.get_me()).username == "shop_bot"
        assert await bot.set_webhook("https://bench.example.com", secret_token="s") is True
        assert (await bot.get_webhook_info()).pending_update_count == 0
        edited = await bot.edit_message_text(text="Page", chat_id=7, message_id=10)
        assert len(edited.reply_markup.inline_keyboard) == 8  # 6 products, pager, Back
        assert (await bot.send_message(7, "Hi")).message_id == 10
        assert await bot.answer_callback_query("cq1") is True
    finally:
        await bot.session.close()
        await stub.stop()
    assert stub.calls == {
        "getMe": 1,
        "setWebhook": 1,
        "getWebhookInfo": 1,
        "editMessageText": 1,
        "sendMessage": 1,
        "answerCallbackQuery": 1,
    }


def test_the_scaling_ratio_compares_only_neighbouring_w1_and_w2_arms():
    def arm(rate: float) -> dict[str, float]:
        return {"updates_per_s": rate}

    results = [
        ("w1", arm(200)),
        ("w2", arm(360)),  # 1.8
        ("polling", arm(999)),
        ("w2", arm(999)),  # not after a w1
        ("w1", arm(300)),
        ("w2", arm(450)),  # 1.5
        ("w1", arm(100)),  # no w2 after it
    ]
    assert scaling(results) == {"pairs": [1.8, 1.5], "median": 1.65, "pooled": 1.62}
    assert scaling([("w1", arm(1)), ("polling", arm(2))]) is None
