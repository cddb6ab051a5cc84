"""Web API speed: GET /products?category= pages at 100,000 products, through uvicorn.

    python -m benchmarks.api [--db URL] [--products 100000] [--requests 600] [--rounds 3]

Two servers on 127.0.0.1, each a uvicorn process on the same database:
  floor  a bare FastAPI endpoint running one keyset query on the products table (the
         same columns and WHERE the API's listing uses, rows turned into dicts);
  api    the shop's app (`api.create_app`): the listing through `ListingService`, with
         the visibility rule (the category's path shown) and the pydantic response model.
A loopback httpx client walks pages (each worker starting at its own place in the big
category, following `next`) at concurrency 1 and 32. Arms alternate round by round so
machine noise hits both alike; each figure is the median round. Target: api >= 0.7x floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

LIMIT = 20
PORTS = {"floor": 8791, "api": 8792}


# -- the servers (run in their own processes) ---------------------------------------------


def floor_app(url: str):
    from fastapi import FastAPI
    from sqlalchemy import Integer, bindparam, literal_column, select

    from db.engine import create_engine, create_session_pool
    from models import Product

    pool = create_session_pool(create_engine(url))
    columns = (
        Product.id,
        Product.name,
        Product.slug,
        Product.price,
        Product.stock,
        Product.category_id,
        Product.rating_sum,
        Product.rating_count,
    )
    stmt = (
        select(*columns)
        .where(
            Product.category_id == bindparam("category_id", type_=Integer),
            Product.is_active.is_(True),
            Product.is_deleted.is_(False),
            Product.id > bindparam("after", type_=Integer),
        )
        .order_by(Product.id)
        .limit(literal_column(str(LIMIT + 1), Integer))
    )
    app = FastAPI()

    @app.get("/products")
    async def products(category: int, after: int = 0, limit: int = LIMIT) -> dict:
        async with pool() as session:
            rows = (await session.execute(stmt, {"category_id": category, "after": after})).all()
        items = [dict(r._mapping) for r in rows[:limit]]
        return {"items": items, "next": items[-1]["id"] if len(rows) > limit else None}

    return app


def shop_app(url: str):
    from api import ApiConfig, create_app
    from db.engine import create_engine, create_session_pool

    return create_app(create_session_pool(create_engine(url)), ApiConfig(jwt_secret="b" * 64))


def serve(arm: str, url: str, port: int) -> None:
    import uvicorn

    app = floor_app(url) if arm == "floor" else shop_app(url)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- the client ---------------------------------------------------------------------------


async def _walk(client: httpx.AsyncClient, port: int, starts: list[int], n: int, out: list):
    after = random.choice(starts)
    for _ in range(n):
        started = time.perf_counter()
        r = await client.get(
            f"http://127.0.0.1:{port}/products",
            params={"category": 1, "after": after, "limit": LIMIT},
        )
        out.append(time.perf_counter() - started)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) == LIMIT or body["next"] is None
        after = body["next"] or random.choice(starts)


async def measure(port: int, concurrency: int, requests: int, starts: list[int]) -> dict:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await _walk(client, port, starts, 5, [])  # warm the connection and the server
        started = time.perf_counter()
        per_worker = max(1, requests // concurrency)
        await asyncio.gather(
            *(_walk(client, port, starts, per_worker, latencies) for _ in range(concurrency))
        )
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


async def _wait(port: int) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                await client.get(f"http://127.0.0.1:{port}/products", params={"category": 1})
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not start")


async def seed_db(url: str, products: int) -> list[int]:
    from sqlalchemy import select

    from benchmarks.common import seed
    from db.engine import create_engine
    from models import Product

    engine = create_engine(url)
    await seed(engine, products, 1, floor=1)
    async with engine.connect() as conn:
        ids = list(
            await conn.scalars(
                select(Product.id).where(Product.category_id == 1).order_by(Product.id)
            )
        )
    await engine.dispose()
    # Workers start anywhere in the big category (not only at its head).
    return ids[:: max(1, len(ids) // 200)]


async def _rounds(args: argparse.Namespace, starts: list[int]) -> dict:
    for port in PORTS.values():
        await _wait(port)
    results: dict[tuple[str, int], list[dict]] = {}
    for _ in range(args.rounds):
        for concurrency in (1, 32):
            for arm, port in PORTS.items():
                requests = args.requests if concurrency > 1 else args.requests // 3
                found = await measure(port, concurrency, requests, starts)
                results.setdefault((arm, concurrency), []).append(found)
    return results


def run(args: argparse.Namespace) -> None:
    root = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{Path(tmp) / 'api_bench.db'}"
        started = time.perf_counter()
        starts = [0, *asyncio.run(seed_db(url, args.products))]
        print(f"seeded {args.products:,} products in {time.perf_counter() - started:.0f} s")
        servers = [
            subprocess.Popen(
                [sys.executable, "-m", "benchmarks.api", "--serve", arm, "--db", url],
                env={**os.environ, "PYTHONPATH": root},
            )
            for arm in PORTS
        ]
        try:
            results = asyncio.run(_rounds(args, starts))
        finally:
            for process in servers:
                process.terminate()
                process.wait()
    load = os.getloadavg()[0]
    print(
        f"\nGET /products?category=1&limit={LIMIT}, {args.products:,} products, "
        f"median of {args.rounds} rounds (load average {load:.1f}, shared machine)"
    )
    print("| concurrency | arm | req/s | p50 ms | p99 ms | vs floor |")
    print("|---|---|---|---|---|---|")
    for concurrency in (1, 32):
        floor_rps = statistics.median(r["rps"] for r in results[("floor", concurrency)])
        for arm in PORTS:
            runs = results[(arm, concurrency)]
            rps = statistics.median(r["rps"] for r in runs)
            p50 = statistics.median(r["p50"] for r in runs)
            p99 = statistics.median(r["p99"] for r in runs)
            print(
                f"| {concurrency} | {arm} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | "
                f"{rps / floor_rps:.2f}x |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="database URL (emptied!); default: a temporary SQLite")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=600, help="per round at concurrency 32")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", choices=list(PORTS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, PORTS[args.serve])
    else:
        run(args)


if __name__ == "__main__":
    main()
