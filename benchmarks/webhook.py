"""Webhook workers under load, on loopback: a stub Bot API (benchmarks/stub_api.py, answers
at once, counts calls), `python -m bot webhook` with WORKERS=1 and 2 on PostgreSQL +
Redis, and a client posting catalog presses of 1,000 users at concurrency 64 for a fixed
number of updates. The same presses through long polling for comparison.

    python -m benchmarks.webhook --redis redis://127.0.0.1:6379/4 \\
        --db postgresql+asyncpg://postgres@127.0.0.1:5432/test_webhook_bench \\
        [--updates 3000] [--concurrency 64] [--arms w1,w2,polling]

Reports updates/s, p50/p95/p99 latency (webhook: the POST until its answer, which comes
after the update was handled and committed; polling: the update queued at the stub until
the bot answered the press) and errors. THE DATABASE IS EMPTIED and the Redis database's
"fsm:*" keys deleted. The load generator and the stub share the machine with the
workers: on 2 cores they take CPU the workers would otherwise have, which is why they
speak HTTP through lean_http.py by default, and each arm reports where the CPU went.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis
from sqlalchemy import text

from benchmarks import cpu, lean_http
from benchmarks.common import TOKEN, reset_schema, seed, tg_user
from benchmarks.stub_api import StubBotAPI
from bot.migrate import pending
from db.engine import create_engine
from keyboards.callback_data import CategoryCb, MenuAction, MenuCb

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
PATH = "/telegram/webhook"
USERS = 1000
TIMEOUT = 300.0  # seconds an arm may take at most
PRESSES = [  # what users press, round robin: the catalog, a category, the small one
    MenuCb(action=MenuAction.catalog).pack(),
    CategoryCb(id=1).pack(),
    CategoryCb(id=2).pack(),
]


def _press(n: int) -> dict[str, Any]:
    uid = 1 + n % USERS
    return {
        "update_id": n,
        "callback_query": {
            "id": f"cq{n}",
            "from": tg_user(uid),
            "chat_instance": f"ci{uid}",
            "data": PRESSES[(n // USERS) % len(PRESSES)],
            "message": {
                "message_id": 10,
                "date": 1_700_000_000,
                "chat": {"id": uid, "type": "private"},
                "from": {"id": 42, "is_bot": True, "first_name": "Shop"},
                "text": "Menu",
            },
        },
    }


async def prepare(db: str, redis_url: str, products: int) -> None:
    engine = create_engine(db)
    await reset_schema(engine)
    await seed(engine, products, USERS, floor=0)
    _current, head = await pending(engine)
    async with engine.begin() as conn:  # the schema is the head's: no migration to run
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        await conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    await engine.dispose()
    redis = Redis.from_url(redis_url)
    async for key in redis.scan_iter("fsm:*"):
        await redis.delete(key)
    await redis.aclose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(command: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", command],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        _out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
    return err.decode(errors="replace")


def _summary(name: str, latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [0.0] * 99
    return {
        "arm": name,
        "updates": len(latencies) + errors,
        "updates_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(q[49], 1),
        "p95_ms": round(q[94], 1),
        "p99_ms": round(q[98], 1),
        "errors": errors,
    }


class _Poster:
    """Posts updates to the workers: through aiohttp's client, or through lean_http's
    keep-alive connections (one per press in flight), which cost the shared cores less."""

    def __init__(self, http: aiohttp.ClientSession, port: int, lean: bool) -> None:
        self.http, self.port, self.lean = http, port, lean
        self.url = f"http://127.0.0.1:{port}{PATH}"
        self.headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        self._idle: list[lean_http.Client] = []

    async def post(self, update: dict[str, Any]) -> tuple[int, bytes]:
        body = json.dumps(update).encode()
        if not self.lean:
            async with self.http.post(self.url, data=body, headers=self.headers) as r:
                return r.status, await r.read()
        client = self._idle.pop() if self._idle else None
        if client is None:
            client = lean_http.Client("127.0.0.1", self.port, PATH, self.headers)
        answer = await client.post(body)  # a failed or cancelled post: never reused
        self._idle.append(client)
        return answer

    def close(self) -> None:
        for client in self._idle:
            client.close()


async def webhook_arm(
    workers: int,
    db: str,
    redis_url: str,
    updates: int,
    concurrency: int,
    first: int,
    rate: float,
    lean: bool,
) -> dict[str, Any]:
    stub = StubBotAPI()
    stub.keep = False
    port = _free_port()
    await stub.start(lean=lean)
    env = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": stub.url,
        "DATABASE_URL": db,
        "REDIS_URL": redis_url,
        "WEBHOOK_URL": "https://bench.example.com",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_PORT": str(port),
        "WORKERS": str(workers),
        "WEBHOOK_MAX_CONNECTIONS": str(min(100, concurrency)),  # what Telegram would open
        "LOG_LEVEL": "WARNING",
    }
    process = _start("webhook", env)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        deadline = time.monotonic() + 120
        while True:  # until every worker serves
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"the workers did not start: {_stop(process)}")
            await asyncio.sleep(0.2)
        await asyncio.sleep(2 * workers)  # the last forked worker finishes its start

        poster = _Poster(http, port, lean)
        latencies: list[float] = []
        errors = 0
        in_reply = 0  # Bot API calls the workers put in their replies
        ids = iter(range(first, first + updates))

        async def post(n: int, start: float) -> None:
            nonlocal errors, in_reply
            try:
                status, body = await poster.post(_press(n))
            except (aiohttp.ClientError, ConnectionError):
                status, body = 0, b""
            # Every press is answered in the reply; a 200 without one is a failed press
            # (the errors router's apology, or throttled), not a success.
            if status == 200 and b'name="method"' in body:
                in_reply += 1
                latencies.append(time.perf_counter() - start)
            else:
                errors += 1

        async def client() -> None:  # closed loop: the next press once this one is answered
            for n in ids:
                await post(n, time.perf_counter())

        async def paced() -> None:  # open loop: `rate` presses a second, come what may
            # At most `concurrency` posts at once, as Telegram opens at most max_connections;
            # the rest wait their turn (at Telegram), and their latency counts from when due.
            slots = asyncio.Semaphore(concurrency)

            async def due_post(n: int, due: float) -> None:
                async with slots:
                    await post(n, due)

            tasks = []
            began = time.perf_counter()
            for i, n in enumerate(ids):
                due = began + i / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                tasks.append(asyncio.create_task(due_post(n, due)))
            await asyncio.gather(*tasks)

        warm = iter(range(first - 300, first))  # warm-up: connections, caches, JIT-less paths

        async def warm_client() -> None:
            for n in warm:
                await poster.post(_press(n))

        await asyncio.gather(*(warm_client() for _ in range(concurrency)))
        cpu_before = cpu.bot_cpu_seconds(process.pid)
        services_before = cpu.service_cpu()
        began = time.perf_counter()
        load = paced() if rate else asyncio.gather(*(client() for _ in range(concurrency)))
        await asyncio.wait_for(load, TIMEOUT)
        seconds = time.perf_counter() - began
        bot_cpu = cpu.bot_cpu_seconds(process.pid) - cpu_before
        others = cpu.cpu_split(services_before, len(latencies))
        poster.close()
    err = _stop(process)
    await stub.stop()
    load = f"{rate:g}/s offered" if rate else f"concurrency {concurrency}"
    load += ", lean harness" if lean else ", aiohttp harness"
    result = _summary(f"webhook WORKERS={workers}, {load}", latencies, errors, seconds)
    result["bot_cpu_ms_per_update"] = round(bot_cpu * 1000 / max(1, len(latencies)), 2)
    result["other_cpu_ms_per_update"] = others
    result["bot_api_calls"] = dict(stub.calls)
    result["bot_api_calls_in_replies"] = in_reply
    if process.returncode != 0:
        result["exit"] = f"{process.returncode}: {err[-500:]}"
    return result


async def polling_arm(
    db: str, redis_url: str, updates: int, concurrency: int, first: int, lean: bool
) -> dict[str, Any]:
    stub = StubBotAPI()
    stub.keep = False
    waiting: dict[str, asyncio.Future[float]] = {}

    def answered(query_id: str) -> None:
        future = waiting.pop(query_id, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    stub.on_answer = answered
    await stub.start(lean=lean)
    env = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": stub.url,
        "DATABASE_URL": db,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }
    process = _start("run", env)
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = 0

    async def one(n: int) -> float | None:
        future = loop.create_future()
        waiting[f"cq{n}"] = future
        start = time.perf_counter()
        stub.push(_press(n))
        try:
            return await asyncio.wait_for(future, 30) - start
        except TimeoutError:
            return None

    async def client(ids) -> None:
        nonlocal errors
        for n in ids:
            took = await one(n)
            if took is None:
                errors += 1
            else:
                latencies.append(took)

    # Warm-up, and the proof that the bot polls: the first answers.
    warm = iter(range(first - 300, first))
    await asyncio.wait_for(asyncio.gather(*(client(warm) for _ in range(concurrency))), 120)
    latencies.clear()
    errors = 0
    ids = iter(range(first, first + updates))
    cpu_before = cpu.bot_cpu_seconds(process.pid)
    services_before = cpu.service_cpu()
    began = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(client(ids) for _ in range(concurrency))), TIMEOUT)
    seconds = time.perf_counter() - began
    bot_cpu = cpu.bot_cpu_seconds(process.pid) - cpu_before
    others = cpu.cpu_split(services_before, len(latencies))
    err = _stop(process)
    await stub.stop()
    harness = "lean" if lean else "aiohttp"
    result = _summary(f"long polling (1 process), {harness} harness", latencies, errors, seconds)
    result["bot_cpu_ms_per_update"] = round(bot_cpu * 1000 / max(1, len(latencies)), 2)
    result["other_cpu_ms_per_update"] = others
    if process.returncode not in (0, -signal.SIGTERM):
        result["exit"] = f"{process.returncode}: {err[-500:]}"
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL URL (the database is emptied)")
    parser.add_argument("--redis", required=True, help="a Redis URL (its fsm:* keys are deleted)")
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--arms", default="w1,w2,polling")
    parser.add_argument(
        "--harness",
        choices=["lean", "aiohttp"],
        default="lean",
        help="post updates and serve the stub Bot API with benchmarks/lean_http.py "
        "(default) or with aiohttp, which takes more of the shared cores",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="webhook arms: offer this many presses a second (open loop) instead of "
        "keeping --concurrency presses in flight; latency then counts from when each was due",
    )
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    results = []
    first = 1000
    for arm in args.arms.split(","):
        await prepare(args.db, args.redis, args.products)
        first += args.updates + 1000
        if arm.startswith("w"):
            workers = int(arm[1:])
            result = await webhook_arm(
                workers,
                args.db,
                args.redis,
                args.updates,
                args.concurrency,
                first,
                args.rate,
                args.harness == "lean",
            )
        else:
            result = await polling_arm(
                args.db, args.redis, args.updates, args.concurrency, first, args.harness == "lean"
            )
        print(json.dumps(result), flush=True)
        results.append(result)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; cpus: {os.cpu_count()}")


if __name__ == "__main__":
    asyncio.run(main())
