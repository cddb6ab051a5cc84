"""Broadcast throughput: the background sender alone, against a Bot API that answers at once.

    python -m benchmarks.broadcast                       # SQLite in a temp file, 100,000 users
    python -m benchmarks.broadcast --db postgresql+asyncpg://postgres@127.0.0.1:5432/test_broadcast

The limiter is off (rate 0), so what is measured is the sender: claiming batches, building
the aiogram calls, recording results. `--session wire` serialises every call as aiohttp
would and parses a JSON answer (benchmarks/common.py: WireSession); `lean` (default)
hands back a ready Message. Reports messages/s, the queueing INSERT ... SELECT, SQL
statements and commits, and memory (peak RSS growth; `--tracemalloc` adds the Python heap
peak, slower). THE DATABASE GIVEN WITH --db IS EMPTIED.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import resource
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.types import Chat, Message
from aiogram.types import User as TgUser
from sqlalchemy import func, insert, select

from benchmarks.common import TOKEN, SqlCounter, WireSession
from bot.config import Settings
from bot.i18n import create_i18n
from db.engine import create_engine, create_session_pool
from jobs.broadcaster import Broadcaster
from models import Base, Broadcast, Role, User
from services.broadcast import BroadcastService

ADMIN_TG_ID = 1
CHUNK = 10_000


class LeanSession(BaseSession):
    """Answers every call with the same ready object: only the sender's own work is left."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {}
        me = TgUser(id=42, is_bot=True, first_name="Shop")
        self.message = Message(
            message_id=1, date=datetime.now(UTC), chat=Chat(id=1, type="private"), from_user=me
        )

    async def close(self) -> None:
        pass

    async def stream_content(self, *args: Any, **kwargs: Any):  # pragma: no cover
        raise NotImplementedError
        yield b""

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout=None) -> Any:
        name = method.__api_method__
        self.calls[name] = self.calls.get(name, 0) + 1
        return self.message if method.__returning__ is Message else True


def _time_phases(broadcaster: Broadcaster) -> dict[str, float]:
    """Wall time spent in the sender's two phases, by wrapping them on this instance."""
    spent = {"_step": 0.0, "_send_batch": 0.0}
    for name in spent:
        original = getattr(broadcaster, name)

        async def timed(*args: Any, _original=original, _name=name) -> Any:
            t = time.perf_counter()
            try:
                return await _original(*args)
            finally:
                spent[_name] += time.perf_counter() - t

        setattr(broadcaster, name, timed)
    return spent


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


async def seed(engine, users: int) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
        rows = [
            {
                "telegram_id": ADMIN_TG_ID,
                "first_name": "Admin",
                "language": "en",
                "role": Role.admin,
            }
        ]
        rows += [
            {
                "telegram_id": 1000 + i,
                "first_name": f"U{i}",
                "language": "ru" if i % 4 else "en",
                "role": Role.customer,
            }
            for i in range(users - 1)
        ]
        for i in range(0, len(rows), CHUNK):
            await conn.execute(insert(User.__table__), rows[i : i + CHUNK])


async def run(args: argparse.Namespace) -> None:
    url = args.db
    tmp = None
    if url == "sqlite":
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = create_engine(url)
    pool = create_session_pool(engine)
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=url,
        broadcast_rate=0,
        broadcast_batch_size=args.batch,
        broadcast_concurrency=args.concurrency,
        broadcast_progress_interval=1.0,
    )
    print(
        f"database: {engine.dialect.name}; users: {args.users:,}; batch {args.batch}, "
        f"concurrency {args.concurrency}, session: {args.session}, limiter off"
    )
    t = time.perf_counter()
    await seed(engine, args.users)
    print(f"seeded in {time.perf_counter() - t:.1f} s")

    async with pool() as s, s.begin():
        admin = await s.scalar(select(User).where(User.telegram_id == ADMIN_TG_ID))
        service = BroadcastService(s)
        draft = await service.save_draft(admin, "Big <b>sale</b> today!", None)
        t = time.perf_counter()
        broadcast = await service.start(admin, draft.id, ADMIN_TG_ID, 1)
        queued = time.perf_counter() - t
    print(f"queued {broadcast.total:,} recipients (one INSERT ... SELECT) in {queued:.2f} s")

    session = WireSession() if args.session == "wire" else LeanSession()
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    broadcaster = Broadcaster(pool, settings, create_i18n())
    counter = SqlCounter().attach(engine)
    spent = _time_phases(broadcaster)
    rss_before = rss_mb()
    if args.tracemalloc:
        tracemalloc.start()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    t = time.perf_counter()
    broadcaster.start(broadcast.id, bot)
    await broadcaster.wait(broadcast.id)
    elapsed = time.perf_counter() - t
    if profiler:
        profiler.disable()
    heap_peak = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    if args.tracemalloc:
        tracemalloc.stop()

    async with pool() as s:
        done = await s.get(Broadcast, broadcast.id)
        pending = await s.scalar(
            select(func.count()).select_from(Broadcast).where(Broadcast.status == "running")
        )
    sends = session.calls.get("sendMessage", 0) - 1  # the last one is the admin's report
    print(
        f"sent {done.sent:,} (failed {done.failed}), status {done.status.value}, "
        f"running left {pending}; sendMessage calls {sends:,}"
    )
    print(f"broadcaster: {sends / elapsed:,.0f} messages/s ({elapsed:.1f} s)")
    print(
        f"time: database steps (record + claim) {spent['_step']:.1f} s, "
        f"sending batches {spent['_send_batch']:.1f} s"
    )
    stmts, commits, _ = counter.snapshot()
    print(
        f"SQL: {stmts:,} statements, {commits:,} commits "
        f"({stmts / max(sends, 1):.3f} statements per message)"
    )
    print(
        f"memory: peak RSS {rss_mb():.0f} MB (grew {rss_mb() - rss_before:.0f} MB during "
        f"the send)" + (f"; Python heap peak {heap_peak:.1f} MB" if heap_peak else "")
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    await engine.dispose()
    if tmp:
        tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite", help="'sqlite' (a temp file) or a database URL")
    parser.add_argument("--users", type=int, default=100_000)
    defaults = Settings.model_fields
    parser.add_argument("--batch", type=int, default=defaults["broadcast_batch_size"].default)
    parser.add_argument(
        "--concurrency", type=int, default=defaults["broadcast_concurrency"].default
    )
    parser.add_argument("--session", choices=["lean", "wire"], default="lean")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the send")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
