"""Real processes: `python -m bot webhook` with WORKERS=2 on PostgreSQL + Redis and a stub
Bot API. setWebhook once; a broadcast sent by one worker, taken over by the other when
its sender is killed (kill -9) and finished, nobody messaged twice; SIGTERM lets the
update in flight finish, then everything exits 0.

One supervisor for the whole story: each process start costs seconds of CPU (imports).
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from benchmarks.stub_api import StubBotAPI
from bot.migrate import pending
from db.engine import create_engine, create_session_pool
from models import Base, Broadcast, BroadcastStatus, Role
from services.broadcast import BroadcastService
from tests.conftest import ADMIN_ID, PG_URL, REDIS_URL
from tests.factories import make_user

pytestmark = pytest.mark.skipif(not PG_URL, reason="several workers need PostgreSQL")

TEXT = "Sale <b>today</b>"
USERS = range(2001, 2121)  # 120 recipients, plus the admin
SECRET = "proc-secret"
ROOT = Path(__file__).resolve().parent.parent


class StubThread:
    """The stub Bot API on a loop of its own, so the test can block on processes."""

    def __init__(self) -> None:
        self.api = StubBotAPI()
        self.loop = asyncio.new_event_loop()
        self._release = asyncio.Event()
        self.held = threading.Event()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.api.start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait(10)
        self.api.hook = self._hook

    async def _hook(self, method: str, params: dict) -> None:
        if method == "sendMessage" and params.get("text") == TEXT:
            await asyncio.sleep(0.02)  # a broadcast takes a few seconds
        if method == "sendMessage" and params.get("chat_id") == "777":
            self.held.set()  # the update in flight at SIGTERM
            await self._release.wait()

    def release(self) -> None:
        self.loop.call_soon_threadsafe(self._release.set)

    def run(self, coro):
        """Runs `coro` on the stub's loop (the test itself is not async)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        self.release()
        asyncio.run_coroutine_threadsafe(self.api.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def post(url: str, body: dict, secret: str = SECRET, timeout: float = 20) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


async def _seed(url: str) -> int:
    """Empty tables marked as migrated to the head (as the bot's own start leaves them),
    and a running broadcast."""
    engine = create_engine(url)
    _current, head = await pending(engine)
    async with engine.begin() as conn:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        await conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    async with create_session_pool(engine)() as s, s.begin():
        admin = await make_user(s, ADMIN_ID, role=Role.admin)
        for uid in USERS:
            await make_user(s, uid)
        service = BroadcastService(s)
        draft = await service.save_draft(admin, TEXT, None)
        await service.start(admin, draft.id, ADMIN_ID, None)
    await engine.dispose()
    return draft.id


async def _broadcast(url: str, broadcast_id: int) -> Broadcast:
    engine = create_engine(url)
    async with create_session_pool(engine)() as s:
        broadcast = await s.get(Broadcast, broadcast_id)
    await engine.dispose()
    return broadcast


async def _unmark(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await engine.dispose()


def test_two_workers_one_broadcast_takeover_and_graceful_stop(_pg_schema):
    stub = StubThread()
    broadcast_id = stub.run(_seed(PG_URL))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))},
        "BOT_TOKEN": "42:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "TELEGRAM_API_URL": stub.api.url,
        "DATABASE_URL": PG_URL,
        "REDIS_URL": REDIS_URL,
        "WEBHOOK_URL": "https://shop.example.com",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_PORT": str(port),
        "WORKERS": "2",
        "BROADCAST_LEASE": "1.5",
        "BROADCAST_RATE": "0",
        "BROADCAST_BATCH_SIZE": "5",
        "BROADCAST_CONCURRENCY": "1",
        "THROTTLE_RATE": "0",
        "LOG_LEVEL": "WARNING",
    }
    # The workers keep their Redis keys under "fsm:" (the default prefix): cleared after.
    log = tempfile.TemporaryFile()  # the processes' log, shown if the test fails
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "bot", "webhook"], cwd=ROOT, env=env, stderr=log, stdout=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: get_status(f"{base}/healthz") == 200, 60, "the workers to start")

        # setWebhook: once, by the supervisor, with the secret and the update kinds used.
        [(_, hook)] = [(m, p) for m, p in stub.api.requests if m == "setWebhook"]
        assert hook["url"] == "https://shop.example.com/telegram/webhook"
        assert hook["secret_token"] == SECRET and hook["max_connections"] == "40"
        allowed = set(json.loads(hook["allowed_updates"]))
        assert {"message", "callback_query", "pre_checkout_query"} <= allowed
        assert "chat_join_request" not in allowed

        # One worker sends the broadcast; kill -9 it a quarter of the way in.
        def broadcast_sends() -> Counter:
            return Counter(
                p["chat_id"]
                for m, p in list(stub.api.requests)
                if m == "sendMessage" and p.get("text") == TEXT
            )

        wait_for(lambda: sum(broadcast_sends().values()) >= 30, 30, "the broadcast to start")
        from redis import Redis

        redis = Redis.from_url(REDIS_URL)
        holder = redis.get(f"fsm:lease:broadcast:{broadcast_id}")
        assert holder is not None
        sender_pid = int(holder.decode().split(":")[0])
        os.kill(sender_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        at_kill = sum(broadcast_sends().values())

        def moving_again() -> bool:
            return sum(broadcast_sends().values()) > at_kill + 5

        wait_for(moving_again, 15, "another worker to take the broadcast over")
        takeover = time.monotonic() - killed_at
        assert takeover < 1.5 + 0.5 + 5  # the lease, the watch's period, slack for a busy CI

        wait_for(
            lambda: stub.run(_broadcast(PG_URL, broadcast_id)).status is BroadcastStatus.done,
            60,
            "the broadcast to finish",
            every=0.2,
        )
        final = stub.run(_broadcast(PG_URL, broadcast_id))
        sends = broadcast_sends()
        assert max(sends.values()) == 1  # nobody messaged twice
        recipients = {str(u) for u in [*USERS, ADMIN_ID]}
        assert set(sends) <= recipients
        # Rows in flight when the sender died may or may not have arrived: counted failed,
        # never resent (at most one batch). Everyone else got it exactly once.
        assert final.total == len(recipients)
        assert final.sent + final.failed == final.total
        assert final.failed <= 5 and final.sent <= len(sends) <= final.sent + final.failed

        # SIGTERM with an update in flight: it finishes (200), then all exit 0.
        result: dict[str, int] = {}
        start = {
            "update_id": 900001,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": 777, "type": "private"},
                "from": {"id": 777, "is_bot": False, "first_name": "Zed"},
                "text": "/start",
            },
        }
        poster = threading.Thread(
            target=lambda: result.setdefault("status", post(f"{base}/telegram/webhook", start))
        )
        poster.start()
        assert stub.held.wait(20), "the update never reached the Bot API"
        supervisor.send_signal(signal.SIGTERM)
        wait_for(lambda: get_status(f"{base}/healthz") == 0, 20, "the workers to stop listening")
        assert supervisor.poll() is None  # waiting for the update in flight
        stub.release()
        poster.join(20)
        assert result == {"status": 200}
        assert supervisor.wait(20) == 0
    finally:
        log.seek(0)
        print(log.read().decode(errors="replace"))
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        from redis import Redis

        redis = Redis.from_url(REDIS_URL)
        for key in redis.scan_iter("fsm:*"):
            redis.delete(key)
        stub.run(_unmark(PG_URL))
        stub.stop()
