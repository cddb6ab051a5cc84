"""Search speed: /search and inline queries through the real dispatcher, at scale.

    python -m benchmarks.search --db sqlite,pg --products 100000,1000000

For each database and catalog size (seeded once and kept: see benchmarks/search_seed.py),
arms run interleaved round by round, one operation each per round, each by the next of
the benchmark's users:
  floor        bare aiogram: a message handler opens a session, reads one product by
               primary key and answers with a 10-button keyboard. The least a
               database-backed answer costs, measured in the same run.
  /search Q    the storefront: `/search Q` sent as a message (user row, dialog state,
               the count and first page of results, the answer), for each query Q.
  inline Q     the storefront: an inline query Q (the first 20 results, the answer).
The report gives p50 and p95 wall-clock milliseconds per operation, and p95 over the
floor's p95. See benchmarks/README.md ("search.py").
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from benchmarks.browse import bench_settings
from benchmarks.common import WireSession, make_bot, message_update, tg_user
from benchmarks.search_seed import QUERIES, ensure
from bot.factory import create_dispatcher
from bot.storage import SqlStorage
from db.engine import create_engine, create_session_pool
from models import Product

PG_BASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/test_search_bench"
CACHE = Path.home() / ".cache" / "storefront-bench"
USERS = 50
_ids = itertools.count(1)


def inline_update(bot: Any, uid: int, query: str) -> Update:
    n = next(_ids)
    raw = {
        "update_id": 5_000_000 + n,
        "inline_query": {"id": f"iq{n}", "from": tg_user(uid), "query": query, "offset": ""},
    }
    return Update.model_validate(raw, context={"bot": bot})


def floor_dispatcher(pool: async_sessionmaker[AsyncSession], products: int) -> Dispatcher:
    router = Router()
    counter = itertools.count()

    async def floor(message: Message) -> None:
        product_id = 1 + next(counter) * 7919 % products
        async with pool() as session:
            row = (
                await session.execute(
                    select(Product.id, Product.name, Product.price).where(Product.id == product_id)
                )
            ).first()
        label = f"{row.name} · {row.price}" if row else "-"
        kb = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=f"{label} {i}", callback_data=f"f:{i}")]
                for i in range(10)
            ]
        )
        await message.answer(f"<b>{label}</b>", reply_markup=kb)

    router.message.register(floor, Command("floor"))
    dp = Dispatcher()
    dp.include_router(router)
    return dp


@dataclass
class Arm:
    name: str
    dp: Dispatcher
    make: Any  # (bot, uid) -> Update
    api: WireSession = field(default_factory=WireSession)
    times: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bot = make_bot(self.api)

    async def run(self, uid: int, timed: bool = True) -> None:
        update = self.make(self.bot, uid)
        start = time.perf_counter()
        await self.dp.feed_update(self.bot, update)
        if timed:
            self.times.append((time.perf_counter() - start) * 1000)


def arms_for(pool: async_sessionmaker[AsyncSession], url: str, products: int) -> list[Arm]:
    store = create_dispatcher(bench_settings(url), pool, SqlStorage(pool))
    arms = [Arm("floor: PK read + answer", floor_dispatcher(pool, products), _message("/floor"))]
    for label, words in QUERIES.items():
        arms.append(Arm(f"/search {label}", store, _message(f"/search {words}")))
    for label, words in QUERIES.items():
        arms.append(Arm(f"inline {label}", store, _inline(words)))
    return arms


def _message(text: str):
    return lambda bot, uid: message_update(bot, uid, text)


def _inline(words: str):
    return lambda bot, uid: inline_update(bot, uid, words)


async def measure(arms: list[Arm], rounds: int, warmup: int = 2) -> None:
    users = itertools.cycle(range(1, USERS + 1))
    for _ in range(warmup):
        for arm in arms:
            await arm.run(next(users), timed=False)
    for r in range(rounds):
        gc.collect()
        for arm in arms[r % len(arms) :] + arms[: r % len(arms)]:
            await arm.run(next(users))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(title: str, arms: list[Arm]) -> str:
    floor95 = _p(arms[0].times, 0.95)
    lines = [title, f"{'arm':34} {'p50 ms':>8} {'p95 ms':>8} {'p95/floor':>10}"]
    for arm in arms:
        if arm.api.calls.get("sendMessage", 0) + arm.api.calls.get("answerInlineQuery", 0) == 0:
            raise RuntimeError(f"{arm.name}: the bot answered nothing")
        p95 = _p(arm.times, 0.95)
        lines.append(
            f"{arm.name:34} {statistics.median(arm.times):8.1f} {p95:8.1f} {p95 / floor95:10.1f}"
        )
    return "\n".join(lines)


def database_url(db: str, products: int) -> str:
    size = f"{products // 1000}k" if products < 1_000_000 else f"{products // 1_000_000}m"
    if db in ("pg", "postgresql"):
        return f"{PG_BASE}_{size}"
    if db == "sqlite":
        CACHE.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{CACHE / f'search-{size}.db'}"
    return db


async def _create_pg_database(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(
        parsed.set(database="postgres").render_as_string(False), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as conn:
        found = await conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        )
        if not found:
            await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    await admin.dispose()


async def catalogs(dbs: str, sizes: str) -> AsyncIterator[tuple[AsyncEngine, str, int]]:
    """An engine, its URL and the catalog size for each database (comma-separated: sqlite,
    pg or URLs) and size asked for; the catalog is seeded by `ensure`, not here."""
    for db in dbs.split(","):
        for products in (int(p) for p in sizes.split(",")):
            url = database_url(db, products)
            if url.startswith("postgresql"):
                await _create_pg_database(url)
            engine = create_engine(url)
            try:
                yield engine, url, products
            finally:
                await engine.dispose()


async def run(args: argparse.Namespace) -> None:
    async with aclosing(catalogs(args.db, args.products)) as each:
        async for engine, url, products in each:
            fresh, took = await ensure(engine, products, USERS)
            pool = create_session_pool(engine)
            arms = arms_for(pool, url, products)
            started = time.perf_counter()
            await measure(arms, args.rounds)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            title = (
                f"\n== {engine.dialect.name}, {products:,} products, {args.rounds} rounds "
                f"({'seeded' if fresh else 'checked'} in {took:.0f} s, measured in "
                f"{time.perf_counter() - started:.0f} s, load average {load})"
            )
            print(report(title, arms), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--db",
        default="sqlite",
        help="comma-separated: sqlite (cached in ~/.cache/storefront-bench), pg "
        "(test_search_bench_100k / _1m on localhost, created if missing) or a database URL",
    )
    parser.add_argument("--products", default="100000,1000000", help="catalog sizes")
    parser.add_argument("--rounds", type=int, default=40, help="timed operations per arm")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
