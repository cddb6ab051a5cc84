"""How long revision 0012 (search refold) takes at a big catalog: the time a shop that
size waits at its first start after upgrading.

    python -m benchmarks.refold [--db sqlite,pg] [--products 100000,1000000]

On the search benchmark's catalog (benchmarks/search_seed.py: seeded once, kept between
runs), marked as at revision 0011: the upgrade to 0012 as `python -m bot migrate` runs it,
timed, then the downgrade (which puts the catalog back as it was, so a rerun measures
the same). Two cases: every product's text already as 0012 folds it (a shop whose names
are plain letters: all read, none written), and every one different (all written: the
worst case, `search_text` blanked first). Figures in README, at "Revision `0012`".
"""

from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import aclosing

from sqlalchemy import text

from benchmarks.search import USERS, catalogs
from benchmarks.search_seed import ensure
from bot.migrate import downgrade, upgrade


async def _at(engine, revision: str | None) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if revision is not None:
            await conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            await conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": revision})


async def _timed_upgrade(engine) -> float:
    await _at(engine, "0011")
    started = time.perf_counter()
    await upgrade(engine, "0012")
    took = time.perf_counter() - started
    await downgrade(engine, "0011")
    await upgrade(engine, "0012")  # back as seeded (0012's fold), then no revision
    await _at(engine, None)
    return took


async def run(args: argparse.Namespace) -> None:
    async with aclosing(catalogs(args.db, args.products)) as each:
        async for engine, _url, products in each:
            await ensure(engine, products, USERS)
            plain = await _timed_upgrade(engine)
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE products SET search_text = ''"))
            every = await _timed_upgrade(engine)
            print(
                f"{engine.dialect.name}, {products:,} products: revision 0012 took {plain:.1f} s "
                f"with nothing to rewrite, {every:.1f} s rewriting every product",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,pg", help="sqlite, pg, or a database URL")
    parser.add_argument("--products", default="100000,1000000", help="catalog sizes")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
