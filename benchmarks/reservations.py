"""The reservation sweep and the CSV export at size, each against a floor in the same run.

    python -m benchmarks.reservations                  # SQLite in a temp file, 5,000 orders
    python -m benchmarks.reservations --orders 20000 --db postgresql+asyncpg://postgres@127.0.0.1:5432/test_ordersa_bench

Sweep: N expired orders (two lines each) cancelled, stock returned, each customer told
(sendMessage on the WireSession: real serialisation, instant answers). Its floor does the
unavoidable part of the same job by hand: one UPDATE of all the orders, one UPDATE per
line for the stock, and one bare sendMessage per customer. Export: the CSV of all their
lines against a floor that only fetches the same rows. THE DATABASE GIVEN IS EMPTIED.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from aiogram import Bot
from sqlalchemy import insert, select, update

from benchmarks.common import TOKEN, WireSession
from bot.i18n import create_i18n
from db.engine import create_engine, create_session_pool
from jobs.reservations import ReservationSweeper
from models import Base, Category, Order, OrderItem, OrderStatus, PaymentMethod, Product, User
from models.user import Role
from services.books import BooksService, CsvStyle, Period

CHUNK = 500


async def seed(engine, n: int) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
        await conn.execute(insert(Category.__table__), [{"name": "C", "slug": "c"}])
        await conn.execute(
            insert(User.__table__),
            [{"telegram_id": 1, "first_name": "Admin", "language": "en", "role": Role.admin}]
            + [
                {
                    "telegram_id": 100 + i,
                    "first_name": f"Покупатель {i}",
                    "language": "ru",
                    "role": Role.customer,
                }
                for i in range(n)
            ],
        )
        products = [
            {
                "name": f"Товар {i}",
                "slug": f"p{i}",
                "description": "",
                "price": Decimal("9.90"),
                "stock": 0,
                "category_id": 1,
            }
            for i in range(100)
        ]
        await conn.execute(insert(Product.__table__), products)
        past = datetime.now(UTC) - timedelta(hours=1)
        orders = [
            {
                "user_id": 2 + i,
                "status": OrderStatus.new,
                "total": Decimal("19.80"),
                "currency": "RUB",
                "payment_method": PaymentMethod.stars,
                "contact_name": "Имя",
                "phone": "+79990000000",
                "expires_at": past,
            }
            for i in range(n)
        ]
        for i in range(0, n, CHUNK):
            await conn.execute(insert(Order.__table__), orders[i : i + CHUNK])
        lines = [
            {
                "order_id": 1 + i,
                "product_id": 1 + (i + k) % 100,
                "name": f"Товар {(i + k) % 100}",
                "unit_price": Decimal("9.90"),
                "quantity": 1,
            }
            for i in range(n)
            for k in (0, 1)
        ]
        for i in range(0, len(lines), CHUNK):
            await conn.execute(insert(OrderItem.__table__), lines[i : i + CHUNK])


async def floor_sweep(pool, bot: Bot, n: int) -> float:
    t = time.perf_counter()
    async with pool() as s, s.begin():
        ids = list(
            await s.scalars(
                update(Order)
                .where(Order.status == OrderStatus.new)
                .values(status=OrderStatus.cancelled)
                .returning(Order.user_id)
            )
        )
        for item in (await s.execute(select(OrderItem.product_id, OrderItem.quantity))).all():
            await s.execute(
                update(Product)
                .where(Product.id == item.product_id)
                .values(stock=Product.stock + item.quantity)
            )
    for user_id in ids:
        await bot.send_message(100 + user_id - 2, "Order cancelled")
    assert len(ids) == n
    return time.perf_counter() - t


async def run(args: argparse.Namespace) -> None:
    url, tmp = args.db, None
    if url == "sqlite":
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = create_engine(url)
    pool = create_session_pool(engine)
    bot = Bot(TOKEN, session=WireSession())
    print(f"database: {engine.dialect.name}; orders: {args.orders:,} (2 lines each)")

    await seed(engine, args.orders)
    floor = await floor_sweep(pool, bot, args.orders)
    await seed(engine, args.orders)
    sweeper = ReservationSweeper(pool, create_i18n())
    t = time.perf_counter()
    done = await sweeper.sweep(bot)
    sweep = time.perf_counter() - t
    assert len(done) == args.orders
    print(
        f"sweep: {args.orders / sweep:,.0f} orders/s ({sweep:.2f} s); floor "
        f"{args.orders / floor:,.0f} orders/s ({floor:.2f} s); ratio {sweep / floor:.2f}x"
    )

    async with pool() as s:
        admin = await s.scalar(select(User).where(User.telegram_id == 1))
        await BooksService(s).export_csv(admin, Period(None, None), CsvStyle())  # warm-up
        t = time.perf_counter()
        rows = (await s.execute(select(OrderItem, Order).join(Order))).all()
        fetch = time.perf_counter() - t
        t = time.perf_counter()
        data, count = await BooksService(s).export_csv(admin, Period(None, None), CsvStyle())
        export = time.perf_counter() - t
    assert count == len(rows)
    print(
        f"export: {count / export:,.0f} lines/s ({export:.2f} s, {len(data) / 2**20:.1f} MB); "
        f"floor (fetch only) {count / fetch:,.0f} lines/s; ratio {export / fetch:.2f}x"
    )
    await engine.dispose()
    if tmp:
        tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite", help="'sqlite' (a temp file) or a database URL")
    parser.add_argument("--orders", type=int, default=5000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
