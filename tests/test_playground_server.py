"""`python -m bot playground` end to end over HTTP: the real bot, its Bot API, the page's socket."""

import asyncio
import contextlib
import os
import re
import signal
import sys
import time

import aiohttp
import pytest

from bot.config import ConfigError
from playground import images
from playground.personas import ADMIN, PERSONAS, SELLER
from playground.run import TOKEN, Running, serve

# Its own SQLite file (or none): the PostgreSQL run would only repeat it.
pytestmark = pytest.mark.own_sqlite

CUSTOMER, CUSTOMER_RU = PERSONAS[0], PERSONAS[1]


@contextlib.asynccontextmanager
async def started(tmp_path, port=0, **options):
    stop = asyncio.Event()
    ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(
            port,
            str(tmp_path / "playground.db"),
            stop=stop,
            on_ready=ready.set_result,
            overrides={"throttle_rate": 0},
            **options,
        )
    )
    done, _ = await asyncio.wait([task, ready], timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()  # raises what stopped it
    try:
        yield ready.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)


@pytest.fixture
async def running(tmp_path):
    async with started(tmp_path) as running:
        yield running


async def until(predicate, what: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def texts(running: Running, user_id: int) -> list[str]:
    chat = running.playground.api.chats[user_id]
    return [m.get("text") or m.get("caption") or "" for m in chat.messages.values()]


def last(running: Running, user_id: int) -> dict:
    """The bot's latest message in the chat ({} before it says anything)."""
    bot_id = running.playground.api.me["id"]
    chat = running.playground.api.chats[user_id].messages.values()
    return next((m for m in reversed(list(chat)) if m["from"]["id"] == bot_id), {})


async def press(running: Running, user_id: int, label: str, message: dict | None = None) -> None:
    message = message or last(running, user_id)
    for r, row in enumerate(message["reply_markup"]["inline_keyboard"]):
        for c, button in enumerate(row):
            if label in button["text"]:
                running.playground.people.press(user_id, message["message_id"], r, c)
                # Updates are handled concurrently: the next step waits for this one.
                await until(lambda: not running.playground.api.callbacks, "the button's answer")
                return
    raise AssertionError(f"no {label!r} button in {message}")


async def receive(ws, timeout: float) -> dict:
    """The page's next event but a command menu's refresh."""
    while True:
        event = await ws.receive_json(timeout=timeout)
        if event.get("type") != "commands":
            return event


async def test_page_socket_gets_the_chat_live_and_sends_what_the_person_does(running):
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{running.url}/ws?persona={CUSTOMER.key}") as ws,
    ):
        snapshot = await ws.receive_json(timeout=5)
        assert snapshot["type"] == "snapshot" and snapshot["messages"] == []
        assert {"command": "cart", "description": "Your cart"} in snapshot["commands"]
        await ws.send_json({"action": "text", "text": "/start"})
        mine = await receive(ws, 5)
        assert mine["message"]["out"] is True and "/start" in mine["message"]["html"]
        welcome = await receive(ws, 10)
        assert "Welcome to the shop" in welcome["message"]["html"]
        menu = await ws.receive_json(timeout=5)  # /start set the chat's own command menu
        assert (
            menu["type"] == "commands"
            and {"command": "cart", "description": "Your cart"} in menu["commands"]
        )
        assert any("Catalog" in b["text"] for row in welcome["message"]["buttons"] for b in row)
        await ws.send_json({"action": "press", "message_id": 99, "row": 0, "column": 0})
        refused = await receive(ws, 5)
        assert refused == {"type": "answer", "text": "that button is gone", "show_alert": False}
        await ws.send_str("not json")
        assert (await receive(ws, 5))["text"] == "bad request"
        for nonsense in ("null", "[1]", '{"action": "press", "message_id": "x"}'):
            await ws.send_str(nonsense)
            assert (await receive(ws, 5))["type"] == "answer"
        await ws.send_json({"action": "text", "text": "still here"})
        assert "still here" in (await receive(ws, 5))["message"]["html"]
        fallback = await receive(ws, 10)
        assert "understand" in fallback["message"]["html"]
    # A reload sees the same conversation, in the persona's language.
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{running.url}/ws?persona={CUSTOMER_RU.key}") as ws_ru,
        http.ws_connect(f"{running.url}/ws?persona={CUSTOMER.key}") as ws_again,
    ):
        ru = await ws_ru.receive_json(timeout=5)
        assert {"command": "cart", "description": "Ваша корзина"} in ru["commands"]
        again = await ws_again.receive_json(timeout=5)
        assert [m["id"] for m in again["messages"]] == [1, 2, 3, 4]
        assert "Welcome" in again["messages"][1]["html"]


async def test_catalog_card_has_a_locally_drawn_photo(running):
    people = running.playground.people
    people.send_text(CUSTOMER.user_id, "/catalog")
    await until(lambda: "Electronics" in str(last(running, CUSTOMER.user_id)), "the catalog")
    await press(running, CUSTOMER.user_id, "Electronics")
    await until(lambda: "Smartphones" in str(last(running, CUSTOMER.user_id)), "Electronics")
    await press(running, CUSTOMER.user_id, "Smartphones")
    await until(lambda: "Pixel" in str(last(running, CUSTOMER.user_id)), "Smartphones")
    await press(running, CUSTOMER.user_id, "Pixel")
    card = await until(lambda: last(running, CUSTOMER.user_id).get("photo"), "the card's photo")
    async with aiohttp.ClientSession() as http:
        response = await http.get(f"{running.url}/file/{card[0]['file_id']}")
        assert response.status == 200 and response.content_type == "image/png"
        assert (await response.read()).startswith(b"\x89PNG")
        assert (await http.get(f"{running.url}/file/nope")).status == 404


async def test_stars_checkout_pays_and_tells_the_seller(running):
    people, api = running.playground.people, running.playground.api
    ann = CUSTOMER.user_id
    people.send_text(ann, "/search Pixel")
    await until(lambda: "Pixel" in str(last(running, ann)), "search results")
    await press(running, ann, "Pixel")
    await until(lambda: "Add to cart" in str(last(running, ann)), "the card")
    await press(running, ann, "Add to cart")
    people.send_text(ann, "/cart")
    await until(lambda: "Checkout" in str(last(running, ann)), "the cart")
    await press(running, ann, "Checkout")
    await until(lambda: "1/4" in texts(running, ann)[-1], "step 1")
    people.send_text(ann, "Ann Smith")
    await until(lambda: api.chats[ann].keyboard, "the phone keyboard")
    people.send_contact(ann)
    await until(lambda: "3/4" in texts(running, ann)[-1], "step 3")
    people.send_text(ann, "Baker Street 221b")
    await until(lambda: "4/4" in texts(running, ann)[-1], "step 4")
    people.send_text(ann, "Ring twice")
    await until(lambda: "Confirm" in str(last(running, ann)), "the summary")
    await press(running, ann, "Confirm")
    bill = await until(lambda: "invoice" in last(running, ann) and last(running, ann), "invoice")
    assert bill["invoice"]["currency"] == "XTR"
    people.pay(ann, bill["message_id"])
    await until(lambda: any("Payment received" in t for t in texts(running, ann)), "receipt")
    await until(lambda: len(texts(running, SELLER.user_id)) == 2, "the seller's news")
    placed, paid = texts(running, SELLER.user_id)
    assert "New order" in placed and "Pixel 9a" in placed
    assert "Order #1 is paid" in paid
    assert not running.playground.problems


async def test_the_admin_persona_broadcasts_to_the_other_personas(running):
    people, admin = running.playground.people, ADMIN.user_id
    for persona in PERSONAS:
        people.send_text(persona.user_id, "/start")
        await until(lambda p=persona: last(running, p.user_id), f"{persona.key}'s welcome")
    people.send_text(admin, "/broadcast")
    await until(lambda: "New broadcast" in texts(running, admin)[-1], "the compose step")
    people.send_text(admin, "Big sale today")
    await until(lambda: "Send to" in str(last(running, admin)), "the preview")
    await press(running, admin, "Send to")
    for persona in PERSONAS[:3]:
        await until(
            lambda p=persona: texts(running, p.user_id)[-1] == "Big sale today",
            f"the broadcast in {persona.key}'s chat",
        )
    await until(lambda: "finished" in texts(running, admin)[-1], "the admin's report")


async def test_files_are_served_as_pictures_or_not_at_all(running):
    page = f"{running.url}/photo?persona={CUSTOMER.key}"
    async with aiohttp.ClientSession() as http:
        html = aiohttp.FormData()
        html.add_field(
            "photo", b"<script>alert(1)</script>", filename="x.html", content_type="text/html"
        )
        refused = await http.post(page, data=html)
        assert refused.status == 400 and "PNG, JPEG" in (await refused.json())["error"]
        png = aiohttp.FormData()
        png.add_field("photo", images.picture("tea"), filename="t.png", content_type="image/png")
        png.add_field("caption", "my tea")
        assert (await http.post(page, data=png)).status == 200
        sent = next(reversed(running.playground.api.chats[CUSTOMER.user_id].messages.values()))
        assert sent["caption"] == "my tea"
        served = await http.get(f"{running.url}/file/{sent['photo'][0]['file_id']}")
        assert served.content_type == "image/png"
        # What the bot uploads is kept as sent, but never served as a page or a script.
        upload = aiohttp.FormData()
        upload.add_field("chat_id", str(CUSTOMER.user_id))
        upload.add_field("photo", b"<html>", filename="x.html", content_type="text/html")
        answer = await (await http.post(f"{running.url}/bot{TOKEN}/sendPhoto", data=upload)).json()
        file_id = answer["result"]["photo"][0]["file_id"]
        served = await http.get(f"{running.url}/file/{file_id}")
        assert served.content_type == "application/octet-stream"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        # A document keeps the name the bot gave it (/books' CSV export).
        upload = aiohttp.FormData()
        upload.add_field("chat_id", str(CUSTOMER.user_id))
        upload.add_field("document", b"a,b\n", filename="orders-2026.csv", content_type="text/csv")
        sent = await http.post(f"{running.url}/bot{TOKEN}/sendDocument", data=upload)
        assert (await sent.json())["result"]["document"]["file_name"] == "orders-2026.csv"
        assert (await http.get(f"{running.url}/static/..%2Frun.py")).status == 404
        assert (await http.post(f"{running.url}/photo?persona=nobody")).status == 400


async def test_a_sellers_photo_outlives_a_restart_and_is_never_another_picture(tmp_path):
    """Uploads were numbered file-1, file-2... afresh in each run while the shop keeps a
    product's photo by its id: after a restart a card was refused, then showed another
    product's picture. Uploads are now kept beside the database, by their content."""
    from sqlalchemy import update

    from db.engine import create_engine
    from models import Product

    async with started(tmp_path) as first:
        mine = first.playground.api.add_file(data=images.picture("tea"), mime="image/png")
        engine = create_engine(first.settings.database_url)
        async with engine.begin() as conn:
            await conn.execute(update(Product).where(Product.id == 1).values(photo_file_id=mine))
        await engine.dispose()
    async with started(tmp_path) as second:
        # Uploads of this run (another picture) get ids of their own.
        other = second.playground.api.add_file(data=images.picture("coffee"), mime="image/png")
        assert other != mine
        second.playground.people.send_text(CUSTOMER.user_id, "/start p1")
        card = await until(lambda: last(second, CUSTOMER.user_id).get("photo"), "the card")
        assert card[0]["file_id"] == mine and not second.playground.problems
        async with aiohttp.ClientSession() as http:
            served = await http.get(f"{second.url}/file/{mine}")
            assert await served.read() == images.picture("tea")


async def test_a_call_the_playground_does_not_know_is_reported_not_dropped(running):
    base = f"{running.url}/bot{TOKEN}"
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{running.url}/ws?persona={CUSTOMER.key}") as ws,
    ):
        await ws.receive_json(timeout=5)
        response = await http.post(f"{base}/sendDice", data={"chat_id": str(CUSTOMER.user_id)})
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        error = await ws.receive_json(timeout=5)
        assert error == {
            "type": "error",
            "text": "The bot called sendDice, which the playground does not know",
        }
        bad = await http.post(
            f"{base}/sendMessage",
            data={"chat_id": str(CUSTOMER.user_id), "text": "<img>", "parse_mode": "HTML"},
        )
        assert bad.status == 400
        assert (await bad.json())["description"].startswith("Bad Request: can't parse entities")
        assert (await ws.receive_json(timeout=5))["type"] == "error"
        wrong = await http.post(f"{running.url}/bot1:wrong/getMe")
        assert wrong.status == 401
        # "Not modified" is an answer bots expect (a repeated press), not a fault to show.
        chat = {"chat_id": str(CUSTOMER.user_id)}
        sent = await (await http.post(f"{base}/sendMessage", data={**chat, "text": "Hi"})).json()
        assert (await ws.receive_json(timeout=5))["type"] == "message"
        same = {**chat, "message_id": str(sent["result"]["message_id"]), "text": "Hi"}
        repeat = await http.post(f"{base}/editMessageText", data=same)
        assert repeat.status == 400
        assert "message is not modified" in (await repeat.json())["description"]
        assert len(running.playground.problems) == 2  # sendDice and the bad HTML only


async def test_a_second_start_keeps_the_shop_and_a_busy_port_is_one_line(tmp_path, capsys):
    async with started(tmp_path) as first:
        first.playground.people.send_text(CUSTOMER.user_id, "/start")
        await until(lambda: len(texts(first, CUSTOMER.user_id)) == 2, "the welcome")
        port = int(first.url.rsplit(":", 1)[1])
        with pytest.raises(ConfigError, match=f"Cannot listen on 127.0.0.1:{port}") as refused:
            async with started(tmp_path, port):
                pass
        assert str(refused.value).endswith("(choose another with --port)")
    async with started(tmp_path) as second:
        second.playground.people.send_text(CUSTOMER.user_id, "/search Pixel")
        await until(lambda: "Pixel" in str(last(second, CUSTOMER.user_id)), "the same shop")


async def test_cli_starts_serves_and_stops_cleanly_on_ctrl_c(tmp_path):
    """`python -m bot playground`: the URL printed, the page served, Ctrl-C a clean exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "playground",
        "--port",
        "0",
        "--db",
        str(tmp_path / "cli.db"),
        cwd=tmp_path,
        env={**os.environ, "BOT_TOKEN": "", "LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
        url = re.search(r"open (http://127\.0\.0\.1:\d+) ", line).group(1)
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as page:
                assert page.status == 200
                assert "<title>Storefront playground</title>" in await page.text()
            # Ctrl-C with a page open and the bot mid-poll.
            async with http.ws_connect(f"{url}/ws?persona=customer") as ws:
                assert (await ws.receive_json(timeout=10))["type"] == "snapshot"
                process.send_signal(signal.SIGINT)
                closing = await ws.receive(timeout=30)
                assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert b"Traceback" not in stderr, stderr.decode()
    assert (tmp_path / "cli.db").exists()


async def test_the_seller_persona_opens_on_its_own_menu(running):
    """Its chat already holds notices (no START to press): the Menu listed a customer's
    commands until it happened to send /start (found by a Russian walk). The admin's
    row is made at its first /start, which sets its menu."""
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{running.url}/ws?persona={SELLER.key}") as ws:
            snapshot = await ws.receive_json(timeout=5)
            assert "seller" in {c["command"] for c in snapshot["commands"]}
        async with http.ws_connect(f"{running.url}/ws?persona={CUSTOMER.key}") as ws:
            snapshot = await ws.receive_json(timeout=5)
            assert "seller" not in {c["command"] for c in snapshot["commands"]}


async def test_the_seller_persona_keeps_the_demo_sellers_name(running):
    """Cards said "Seller: Tech Corner" until the Seller persona wrote to the bot, then
    "Seller: Sam" (its Telegram name refreshed the demo seller's)."""
    from sqlalchemy import select

    from db.engine import create_engine
    from models import User

    running.playground.people.send_text(SELLER.user_id, "/start")
    await until(lambda: "Welcome" in str(last(running, SELLER.user_id)), "the welcome")
    engine = create_engine(running.settings.database_url)
    async with engine.connect() as conn:
        name = await conn.scalar(select(User.first_name).where(User.telegram_id == SELLER.user_id))
    await engine.dispose()
    assert name == "Tech Corner"


async def test_cash_on_delivery_can_be_tried(tmp_path, monkeypatch):
    """The playground forced Stars, so the shop's default way to pay couldn't be tried."""
    from bot.__main__ import main

    chosen = {}

    def run_service(coroutine):
        chosen.update(coroutine.cr_frame.f_locals)
        coroutine.close()

    monkeypatch.setattr("bot.__main__.run_service", run_service)
    monkeypatch.chdir(tmp_path)
    main(["playground", "--pay", "cod", "--port", "0"])
    assert chosen["payment_method"] == "cod"
    async with started(tmp_path, payment_method="cod") as running:
        assert running.settings.payment_method == "cod"
