"""Webhook workers under load, on loopback: a stub Bot API (answers at once, counts calls),
`python -m bot webhook` with WORKERS=1 and 2 on PostgreSQL + Redis, and a load generator
posting catalog presses of 1,000 users at concurrency 64 for a fixed number of updates.
The same presses through long polling for comparison.

    python -m benchmarks.webhook --redis redis://127.0.0.1:6379/4 \\
        --db postgresql+asyncpg://postgres@127.0.0.1:5432/test_webhook_bench \\
        [--updates 3000] [--concurrency 64] [--arms w1,w2,polling] [--harness native]

Reports updates/s, p50/p95/p99 latency (webhook: the POST until its answer, which comes
after the update was handled and committed; polling: the update queued at the stub until
the bot answered the press) and errors. THE DATABASE IS EMPTIED and the Redis database's
"fsm:*" keys deleted. The load generator and the stub share the machine with the
workers: on 2 cores they take CPU the workers would otherwise have, so the webhook arms
use wrk and nginx where both are installed (benchmarks/native_harness.py), else this
process through lean_http.py (benchmarks/python_harness.py, stub_api.py), and each arm
reports where the CPU went.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis
from sqlalchemy import text

from benchmarks import cpu, native_harness, python_harness
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
    # The log goes to a file, not a pipe: a pipe nobody reads until the end fills up
    # (64 KiB) when the workers log many errors, and then blocks them mid-arm.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", command],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    process.stderr = log
    return process


def _stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log = process.stderr
    assert log is not None
    log.seek(0)
    err = log.read()
    log.close()
    return err.decode(errors="replace")


async def webhook_arm(
    workers: int,
    db: str,
    redis_url: str,
    updates: int,
    concurrency: int,
    first: int,
    rate: float,
    harness: str,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-harness-") as workdir:
        native = harness == "native"
        if native:
            stub: Any = native_harness.NginxBotAPI(Path(workdir), TOKEN)
            await stub.start()
        else:
            stub = StubBotAPI()
            stub.keep = False
            await stub.start(lean=harness == "lean")
        try:
            port = _free_port()
            env = {
                "BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": stub.url,
                "DATABASE_URL": db,
                "REDIS_URL": redis_url,
                "WEBHOOK_URL": "https://bench.example.com",
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_PORT": str(port),
                "WORKERS": str(workers),
                "WEBHOOK_MAX_CONNECTIONS": str(min(100, concurrency)),  # what Telegram opens
                "LOG_LEVEL": "WARNING",
            }
            process = _start("webhook", env)
            await _wait_ready(process, port, workers)
            meter = cpu.Meter(process.pid, [stub.process.pid] if native else [])
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            if native:
                url = f"http://127.0.0.1:{port}{PATH}"
                wrk = native_harness.Presses(url, headers, PRESSES, USERS, concurrency, workdir)
                load = wrk.measure(first, updates, meter, TIMEOUT)
            else:
                poster = python_harness.Poster(port, PATH, headers, lean=harness == "lean")
                load = poster.measure(_press, first, updates, concurrency, rate, meter, TIMEOUT)
            result = await load
            err = _stop(process)
        finally:
            await stub.stop()
    load = f"{rate:g}/s offered" if rate else f"concurrency {concurrency}"
    result = {"arm": f"webhook WORKERS={workers}, {load}, {harness} harness", **result}
    result["bot_api_calls"] = dict(stub.calls)
    if process.returncode != 0:
        result["exit"] = f"{process.returncode}: {err[-500:]}"
    return result


async def _wait_ready(process: subprocess.Popen[bytes], port: int, workers: int) -> None:
    async with aiohttp.ClientSession() as http:
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
    meter = cpu.Meter(process.pid)
    meter.start()
    await asyncio.wait_for(asyncio.gather(*(client(ids) for _ in range(concurrency))), TIMEOUT)
    measured = meter.stop(len(latencies))
    err = _stop(process)
    await stub.stop()
    harness = "lean" if lean else "aiohttp"
    result = {"arm": f"long polling (1 process), {harness} harness"}
    result |= python_harness.summary(latencies, errors, measured.pop("seconds")) | measured
    if process.returncode not in (0, -signal.SIGTERM):
        result["exit"] = f"{process.returncode}: {err[-500:]}"
    return result


def _choose_harness(asked: str | None, rate: float) -> str:
    if asked not in (None, "native"):
        return asked
    why = "the open loop (--rate) is paced from Python" if rate else native_harness.missing()
    if why is None:
        return "native"
    if asked == "native":
        raise SystemExit(f"--harness native: {why}")
    print(f"harness: lean, as {why}", flush=True)
    return "lean"


def scaling(results: list[tuple[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """WORKERS=2 against WORKERS=1, for each w1 arm directly followed by a w2 arm: the
    machine's speed drifts within minutes, so only neighbours are compared. Their median,
    and the pooled ratio (all w2 updates/s over all w1 updates/s of the pairs)."""
    pairs = [
        (one["updates_per_s"], two["updates_per_s"])
        for (a, one), (b, two) in itertools.pairwise(results)
        if (a, b) == ("w1", "w2")
    ]
    if not pairs:
        return None
    ratios = [two / one for one, two in pairs]
    return {
        "pairs": [round(r, 2) for r in ratios],
        "median": round(statistics.median(ratios), 2),
        "pooled": round(sum(t for _, t in pairs) / sum(o for o, _ in pairs), 2),
    }


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
        choices=["native", "lean", "aiohttp"],
        help="webhook arms: post updates and serve the stub Bot API with wrk and nginx "
        "(native: the default where both are installed), benchmarks/lean_http.py (lean: "
        "the polling arm's always) or aiohttp; the more they take, the less the workers get",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="webhook arms: offer this many presses a second (open loop) instead of "
        "keeping --concurrency presses in flight; latency then counts from when each was due",
    )
    args = parser.parse_args()
    harness = _choose_harness(args.harness, args.rate)
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
                harness,
            )
        else:
            result = await polling_arm(
                args.db, args.redis, args.updates, args.concurrency, first, harness != "aiohttp"
            )
        print(json.dumps(result), flush=True)
        results.append((arm, result))
    if not args.rate and (pairs := scaling(results)):  # open loop: both serve the rate
        print(json.dumps({"w2_over_w1": pairs}), flush=True)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; cpus: {os.cpu_count()}")


if __name__ == "__main__":
    asyncio.run(main())
