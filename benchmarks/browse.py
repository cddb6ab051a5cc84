"""Browsing speed: button presses from many users through the real dispatcher.

    python -m benchmarks.browse --db sqlite,postgresql+asyncpg://postgres@127.0.0.1:5432/test_bench

Arms, run interleaved round by round so machine noise hits them alike:
  A      bare aiogram: one handler edits a 10-button keyboard, no database.
  B      A plus one AsyncSession and one keyset page query over a 100,000-row table:
         the least a database-backed screen costs. The storefront is judged against B.
  first  the storefront: a category's first page (the category button pressed).
  next   ▶ pressed on the previous page, near the start of the big category.
  deep   ▶ pressed on a page ~90% deep into the big category.
  card   a product button pressed on a list page.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from benchmarks.common import (
    FLOOR_ROWS,
    Catalog,
    SqlCounter,
    WireSession,
    buttons,
    callback_update,
    floor_rows,
    make_bot,
    message_update,
    seed,
)
from benchmarks.explain import DIAGNOSTICS, Patch
from bot.config import Settings
from bot.factory import create_dispatcher
from bot.storage import SqlStorage
from db.engine import create_engine, create_session_pool
from keyboards.callback_data import CategoryCb, MenuAction, MenuCb, ProductCb

PAGE = 8  # the storefront's default page size; with ◀ ▶ a 10-button keyboard
PHASES = ("first", "next", "deep", "card")
PG_BENCH = "postgresql+asyncpg://postgres@127.0.0.1:5432/test_bench"


# -- the floors ---------------------------------------------------------------------------


class FloorCb(CallbackData, prefix="fl"):
    page: int
    after: int


class FloorItemCb(CallbackData, prefix="fi"):
    id: int


def _floor_kb(page: int, items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=label, callback_data=FloorItemCb(id=i).pack())]
        for i, label in items
    ]
    last = items[-1][0] if items else 0
    rows.append(
        [
            InlineKeyboardButton(text="◀", callback_data=FloorCb(page=page - 1, after=0).pack()),
            InlineKeyboardButton(text="▶", callback_data=FloorCb(page=page + 1, after=last).pack()),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def floor_dispatcher(pool: async_sessionmaker[AsyncSession] | None) -> Dispatcher:
    """Floor A without a pool, floor B with one: bare aiogram, one handler."""
    router = Router()

    async def floor_a(query: CallbackQuery, callback_data: FloorCb) -> None:
        first = callback_data.after + 1
        items = [(i, f"Item {i}") for i in range(first, first + PAGE)]
        await query.message.edit_text(  # type: ignore[union-attr]
            f"<b>Page {callback_data.page}</b>", reply_markup=_floor_kb(callback_data.page, items)
        )
        await query.answer()

    async def floor_b(query: CallbackQuery, callback_data: FloorCb) -> None:
        assert pool is not None
        t = floor_rows
        async with pool() as session:
            rows = (
                await session.execute(
                    select(t.c.id, t.c.name, t.c.price)
                    .where(t.c.category_id == 1, t.c.id > callback_data.after)
                    .order_by(t.c.id)
                    .limit(PAGE)
                )
            ).all()
        items = [(r.id, f"{r.name} · {r.price} ₽") for r in rows]
        await query.message.edit_text(  # type: ignore[union-attr]
            f"<b>Page {callback_data.page}</b>", reply_markup=_floor_kb(callback_data.page, items)
        )
        await query.answer()

    router.callback_query.register(floor_a if pool is None else floor_b, FloorCb.filter())
    dp = Dispatcher()
    dp.include_router(router)
    return dp


# -- arms -------------------------------------------------------------------------------


@dataclass
class Arm:
    """A dispatcher on its own wire session, and how each user's next press is chosen."""

    name: str
    dp: Dispatcher
    users: list[int]
    choose: Callable[[Arm, int], tuple[dict[str, Any], str]] | None = None
    api: WireSession = field(default_factory=WireSession)
    rates: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # this process's CPU s per press
    presses: int = 0
    sql: list[int] = field(default_factory=lambda: [0, 0, 0])
    state: dict[int, Any] = field(default_factory=dict)
    last_data: dict[int, str] = field(default_factory=dict)
    patch: Patch | None = None  # `--explain`: a shortcut in force during this arm's rounds

    def __post_init__(self) -> None:
        self.bot = make_bot(self.api)

    async def press(self, uid: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        self.last_data[uid] = data
        await self.dp.feed_update(self.bot, callback_update(self.bot, uid, message, data))
        return self.api.screens.get(uid, {})

    async def send(self, uid: int, text: str) -> dict[str, Any]:
        await self.dp.feed_update(self.bot, message_update(self.bot, uid, text))
        return self.api.screens.get(uid, {})

    async def round(self, counter: SqlCounter | None, timed: bool = True) -> None:
        with self.patch() if self.patch else contextlib.nullcontext():
            await self._round(counter, timed)

    async def _round(self, counter: SqlCounter | None, timed: bool) -> None:
        assert self.choose is not None
        before = counter.snapshot() if counter else (0, 0, 0)
        # Only the presses are timed: which button a user presses next is the driver's
        # business (it reads the screen's buttons back), not an update the bot handles.
        elapsed = cpu = 0.0
        for uid in self.users:
            message, data = self.choose(self, uid)
            start, started = time.perf_counter(), time.process_time()
            await self.press(uid, message, data)
            elapsed += time.perf_counter() - start
            cpu += time.process_time() - started
        if not timed:
            return
        self.cpu.append(cpu / len(self.users))
        self.rates.append(len(self.users) / elapsed)
        self.presses += len(self.users)
        if counter:
            after = counter.snapshot()
            for i in range(3):
                self.sql[i] += after[i] - before[i]


def _next_button(arm: Arm, uid: int, cb: type[CallbackData]) -> str | None:
    """The ▶ button of the user's screen: the same callback class, one page further."""
    try:
        page = cb.unpack(arm.last_data.get(uid, "")).page  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    for _label, data in buttons(arm.api.screens.get(uid)):
        with contextlib.suppress(TypeError, ValueError):
            if cb.unpack(data).page == page + 1:  # type: ignore[attr-defined]
                return data
    return None


def floor_arm(name: str, dp: Dispatcher, users: list[int]) -> Arm:
    def choose(arm: Arm, uid: int) -> tuple[dict[str, Any], str]:
        screen = arm.api.screens.get(uid)
        data = _next_button(arm, uid, FloorCb)
        if data is None or FloorCb.unpack(data).after >= FLOOR_ROWS - PAGE:
            return screen or _blank(uid), FloorCb(page=1, after=0).pack()
        return screen, data

    return Arm(name, dp, users, choose)


def _blank(uid: int) -> dict[str, Any]:
    return {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": uid, "type": "private"},
        "text": "(start)",
    }


def product_buttons(message: dict[str, Any]) -> list[str]:
    out = []
    for _label, data in buttons(message):
        with contextlib.suppress(TypeError, ValueError):
            ProductCb.unpack(data)
            out.append(data)
    return out


class StorefrontError(RuntimeError):
    pass


@dataclass
class Store:
    """The storefront's dispatcher, built as production builds it (SQL FSM storage)."""

    pool: async_sessionmaker[AsyncSession]
    catalog: Catalog
    settings: Settings

    _dp: Dispatcher | None = None

    def dispatcher(self) -> Dispatcher:
        """One dispatcher for every storefront arm, as one bot process serves every user."""
        if self._dp is None:
            self._dp = create_dispatcher(self.settings, self.pool, SqlStorage(self.pool))
        return self._dp

    async def enter(self, arm: Arm, uid: int) -> tuple[dict[str, Any], str]:
        """Like a user: /start, Catalog, then the big category's button on that screen."""
        menu = await arm.send(uid, "/start")
        catalog_data = MenuCb(action=MenuAction.catalog).pack()
        if catalog_data not in {d for _l, d in buttons(menu)}:
            raise StorefrontError(f"no Catalog button on the main menu: {buttons(menu)}")
        root = await arm.press(uid, menu, catalog_data)
        for _label, data in buttons(root):
            with contextlib.suppress(TypeError, ValueError):
                if CategoryCb.unpack(data).id == self.catalog.big_category_id:
                    return root, data
        raise StorefrontError(
            f"the catalog screen has no button for the big category: {buttons(root)}; "
            f"alerts: {arm.api.alerts[-3:]}"
        )

    def deep_cursor(self, uid: int, rounds: int) -> str:
        """A forged jump ~90% into the big category (the keyset cursor of that page)."""
        pages = max(1, self.catalog.products // PAGE)
        page = max(2, min(int(pages * 0.9), pages - rounds - 3) - uid % 7)
        after = self.catalog.first_product_id + (page - 1) * PAGE - 1
        return CategoryCb(id=self.catalog.big_category_id, page=page, after=after).pack()

    async def arm(self, phase: str, users: list[int], rounds: int) -> Arm:
        arm = Arm(phase, self.dispatcher(), users)
        for uid in users:
            root, category_data = await self.enter(arm, uid)
            first = await arm.press(uid, root, category_data)
            if not product_buttons(first):
                raise StorefrontError(f"the first page shows no products: {buttons(first)}")
            arm.state[uid] = {"root": root, "category": category_data, "list": first, "n": 0}
            if phase == "deep":
                await arm.press(uid, first, self.deep_cursor(uid, rounds))
        arm.choose = getattr(self, f"_choose_{phase}")
        return arm

    def _choose_first(self, arm: Arm, uid: int) -> tuple[dict[str, Any], str]:
        s = arm.state[uid]
        return s["root"], s["category"]

    def _choose_next(self, arm: Arm, uid: int) -> tuple[dict[str, Any], str]:
        screen = arm.api.screens[uid]
        data = _next_button(arm, uid, CategoryCb)
        if data is None:  # the end of the category: start over from its first page
            s = arm.state[uid]
            return s["root"], s["category"]
        return screen, data

    def _choose_deep(self, arm: Arm, uid: int) -> tuple[dict[str, Any], str]:
        screen = arm.api.screens[uid]
        data = _next_button(arm, uid, CategoryCb)
        return (screen, data) if data else (screen, self.deep_cursor(uid, 0))

    def _choose_card(self, arm: Arm, uid: int) -> tuple[dict[str, Any], str]:
        s = arm.state[uid]
        products = product_buttons(s["list"])
        s["n"] += 1
        return s["list"], products[s["n"] % len(products)]


# -- running ------------------------------------------------------------------------------


def bench_settings(url: str) -> Settings:
    from benchmarks.common import TOKEN

    return Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=url,
        redis_url=None,
        throttle_rate=0,
        admin_ids=frozenset(),
    )


@dataclass
class Setup:
    engine: AsyncEngine
    pool: async_sessionmaker[AsyncSession]
    store: Store
    counter: SqlCounter
    catalog: Catalog


async def prepare(url: str, products: int, users: int, floor: int = FLOOR_ROWS) -> Setup:
    engine = create_engine(url)
    catalog = await seed(engine, products, users, floor)
    pool = create_session_pool(engine)
    counter = SqlCounter().attach(engine)
    store = Store(pool, catalog, bench_settings(url))
    return Setup(engine, pool, store, counter, catalog)


async def measure(
    setup: Setup,
    users: int,
    rounds: int,
    phases: tuple[str, ...] = PHASES,
    warmup: int = 2,
    collect: bool = True,
    explain: bool = False,
) -> list[Arm]:
    """Floors A and B and the storefront `phases`, interleaved round by round; with
    `collect`, garbage is collected before each round (untimed) so no arm pays for
    another's; with `explain`, the `next` arm again under each of `DIAGNOSTICS`."""
    uids = setup.catalog.user_ids[:users]
    arms = [
        floor_arm("A", floor_dispatcher(None), uids),
        floor_arm("B", floor_dispatcher(setup.pool), uids),
    ]
    for phase in phases:
        arms.append(await setup.store.arm(phase, uids, rounds + warmup))
    for label, make_patch in DIAGNOSTICS.items() if explain else ():
        arm = await setup.store.arm("next", uids, rounds + warmup)
        arm.name, arm.patch = label, make_patch()
        arms.append(arm)
    for _ in range(warmup):
        for arm in arms:
            await arm.round(None, timed=False)
    for r in range(rounds):
        if collect:
            gc.collect()
        order = arms[r % len(arms) :] + arms[: r % len(arms)]
        for arm in order:
            await arm.round(setup.counter)
    for arm in arms:
        if arm.api.alerts:
            raise StorefrontError(f"{arm.name}: the bot answered with alerts: {arm.api.alerts[:3]}")
    return arms


def report(title: str, arms: list[Arm]) -> str:
    rate = {a.name: statistics.median(a.rates) for a in arms}
    b = rate["B"]
    labels = {
        "A": "A  bare aiogram, no DB",
        "B": "B  + session + keyset query",
        "first": "storefront: first page",
        "next": "storefront: next page",
        "deep": "storefront: deep page (~90%)",
        "card": "storefront: product card",
    }
    lines = [
        title,
        f"{'arm':32} {'updates/s':>10} {'x B':>6} {'CPU ms':>7} {'SQL/press':>10} "
        f"{'commits':>8} {'rollbk':>7}",
    ]
    for a in arms:
        n = max(a.presses, 1)
        lines.append(
            f"{labels.get(a.name, a.name):32} {rate[a.name]:10.0f} {rate[a.name] / b:6.2f} "
            f"{statistics.median(a.cpu) * 1000:7.2f} {a.sql[0] / n:10.2f} "
            f"{a.sql[1] / n:8.2f} {a.sql[2] / n:7.2f}"
        )
    return "\n".join(lines)


async def profile(setup: Setup, phase: str, users: int, rounds: int, out: Path) -> str:
    uids = setup.catalog.user_ids[:users]
    arm = await setup.store.arm(phase, uids, rounds + 1)
    await arm.round(None, timed=False)
    prof = cProfile.Profile(time.process_time)  # CPU time: less at the mercy of machine load
    prof.enable()
    for _ in range(rounds):
        await arm.round(None)
    prof.disable()
    prof.dump_stats(out)
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(45)
    return buf.getvalue()


async def run(args: argparse.Namespace) -> None:
    rounds = max(1, args.presses // args.users)
    for db in args.db.split(","):
        url = db
        tmp = None
        if db == "sqlite":
            tmp = tempfile.TemporaryDirectory()
            url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}"
        elif db in ("pg", "postgresql"):
            url = PG_BENCH
        for products in (int(p) for p in args.products.split(",")):
            started = time.perf_counter()
            setup = await prepare(url, products, args.users)
            seeded = time.perf_counter() - started
            try:
                name = setup.engine.dialect.name
                if args.profile:
                    stem = f"browse-{name}-{products}-{args.profile}.prof"
                    out = Path(tempfile.gettempdir()) / stem
                    print(await profile(setup, args.profile, args.users, rounds, out))
                    print(f"profile written to {out}")
                    continue
                arms = await measure(setup, args.users, rounds, explain=args.explain)
                title = (
                    f"\n== {name}, {products:,} products, {args.users} users, "
                    f"median of {rounds} rounds x {args.users} presses (seeded in {seeded:.0f} s)"
                )
                print(report(title, arms), flush=True)
            finally:
                await setup.engine.dispose()
        if tmp is not None:
            tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--db",
        default="sqlite",
        help="comma-separated: sqlite, pg (= test_bench on localhost) or a database URL",
    )
    parser.add_argument("--products", default="1000,100000", help="catalog sizes, comma-separated")
    parser.add_argument("--presses", type=int, default=2000, help="timed presses per arm")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--profile", choices=PHASES, help="cProfile one storefront arm instead")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also run `next` with the user row, then the keyboard, served from memory",
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
