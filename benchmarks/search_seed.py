"""The search benchmark's catalog: a million products seeded fast and kept between runs.

Names and descriptions come from a fixed vocabulary (half Russian, half English, seeded
random, so every run and every machine gets the same catalog): "phone" is in about one
product name in twenty-five (smartphone, headphones...), a plain noun like "чайник" in
about one in a hundred, and every product has a popularity (sold, rating).

PostgreSQL is loaded with COPY, SQLite with `executemany` on the sync driver; a marker
table (`bench_search_seed`: version and size) says the database already holds this
catalog, so a rerun only checks it. The search index objects (`models.search_index`) are
created after the load when the code has them (one index build instead of a million
trigger runs).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.common import _fill_counters, reset_schema, tg_user
from models import Base, Category, User
from models.product import search_fold

try:  # the search index objects, when the code has them (not before the index existed)
    from models import search_index
except ImportError:
    search_index = None

SEED_VERSION = "search-1"
CATEGORIES = 20  # under one active top category

NOUNS_EN = (
    "phone smartphone headphones microphone laptop tablet monitor keyboard mouse speaker "
    "camera charger cable router watch kettle toaster blender mixer lamp chair table sofa "
    "pillow blanket jacket sneakers backpack wallet bottle mug teapot vacuum heater fan "
    "drill hammer bicycle helmet tent lantern guitar piano printer scanner projector "
    "mattress mirror curtain towel umbrella"
).split()
NOUNS_RU = (
    "смартфон телефон наушники микрофон ноутбук планшет монитор клавиатура мышь колонка "
    "камера зарядка кабель роутер часы чайник тостер блендер миксер лампа стул стол диван "
    "подушка одеяло куртка кроссовки рюкзак кошелёк бутылка кружка заварник пылесос "
    "обогреватель вентилятор дрель молоток велосипед шлем палатка фонарь гитара пианино "
    "принтер сканер проектор матрас зеркало штора полотенце зонт"
).split()
ADJ_EN = (
    "black white red blue green grey silver golden wireless portable compact smart "
    "classic modern premium mini pro ultra light heavy"
).split()
ADJ_RU = (
    "чёрный белый красный синий зелёный серый серебристый золотой беспроводной "
    "портативный компактный умный классический современный премиальный мини про ультра "
    "лёгкий тяжёлый"
).split()
BRANDS = (
    "Samsung Xiaomi Apple Bosch Philips Sony Lenovo Asus Acer Tefal Redmond Polaris "
    "Vitek Scarlett Braun Makita Stels Forward Yamaha Casio"
).split()
PHRASES_EN = (
    "for home and office",
    "with a two year warranty",
    "fast delivery across the country",
    "a gift for family and friends",
    "made of durable materials",
    "easy to clean and store",
)
PHRASES_RU = (
    "для дома и офиса",
    "гарантия два года",
    "быстрая доставка по всей стране",
    "подарок для семьи и друзей",
    "из прочных материалов",
    "легко мыть и хранить",
)

# What the benchmark asks: one and two words, Latin and Cyrillic (ё typed, е stored the
# same), and a miss. In a name: "phone" ~4% of products, "чайник" ~1%.
QUERIES = {
    "latin 1 word": "phone",
    "latin 2 words": "black phone",
    "cyrillic 1 word": "чайник",
    "cyrillic 2 words": "чёрный чайник",
    "miss": "zqxwv",
}


def product_rows(products: int, first_category: int) -> Iterator[tuple]:
    """(name, slug, description, price, stock, category_id, search_text, sold,
    rating_sum, rating_count) of every product, the same on every run."""
    rnd = random.Random(17)
    for i in range(products):
        ru = i % 2 == 0
        nouns, adjs, phrases = (
            (NOUNS_RU, ADJ_RU, PHRASES_RU) if ru else (NOUNS_EN, ADJ_EN, PHRASES_EN)
        )
        noun = rnd.choice(nouns)
        adj, brand, model = (
            rnd.choice(adjs).capitalize(),
            rnd.choice(BRANDS),
            rnd.randrange(100, 9999),
        )
        name = f"{adj} {noun} {brand} {model}"
        other = rnd.choice(nouns)
        description = (
            f"{rnd.choice(adjs).capitalize()} {noun}, {rnd.choice(phrases)}. "
            f"{'Подходит к' if ru else 'Goes with'}: {other}. {rnd.choice(phrases)}."
        )
        count = rnd.choice((0, 0, 1, 3, 10, 40))
        yield (
            name,
            f"p-{i}",
            description,
            Decimal(rnd.randrange(100, 100_000)) / 100,
            rnd.randrange(0, 50),
            first_category + i % CATEGORIES,
            search_fold(f"{name}\n{description}"),
            rnd.choice((0, 0, 0, 1, 2, 5, 20, 100)),
            sum(rnd.randint(1, 5) for _ in range(count)),
            count,
        )


COLUMNS = (
    "name",
    "slug",
    "description",
    "price",
    "stock",
    "category_id",
    "search_text",
    "sold",
    "rating_sum",
    "rating_count",
)


def _version(users: int) -> str:
    """The marker's version: the seed's, the users', and the models' tables and columns
    (a schema changed since the seed means seeding again, not a failing run)."""
    shape = sorted((t.name, *sorted(t.columns.keys())) for t in Base.metadata.sorted_tables)
    schema = hashlib.sha1(repr(shape).encode()).hexdigest()[:12]
    return f"{SEED_VERSION}/{users}/{schema}"


async def seeded(engine: AsyncEngine, products: int, users: int) -> bool:
    """True when the database already holds this catalog (the marker says so)."""
    async with engine.connect() as conn:
        try:
            row = (
                await conn.execute(text("SELECT version, products FROM bench_search_seed"))
            ).first()
        except Exception:  # no marker table: never seeded
            return False
    return row is not None and tuple(row) == (_version(users), products)


async def seed(engine: AsyncEngine, products: int, users: int) -> None:
    """The catalog from scratch: schema from the models, categories, users, products."""
    await reset_schema(engine)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS bench_search_seed"))
        await conn.execute(
            insert(Category.__table__),
            [{"id": 1, "name": "Everything", "slug": "everything", "position": 0}]
            + [
                {
                    "id": 2 + i,
                    "name": f"Shelf {i}",
                    "slug": f"shelf-{i}",
                    "position": i,
                    "parent_id": 1,
                }
                for i in range(CATEGORIES)
            ],
        )
        await conn.execute(
            insert(User.__table__),
            [
                {
                    "telegram_id": uid,
                    "first_name": f"User{uid}",
                    "language_code": tg_user(uid)["language_code"],
                    "language": tg_user(uid)["language_code"],
                }
                for uid in range(1, users + 1)
            ],
        )
    if search_index is not None:  # built once after the load, not kept up row by row
        async with engine.begin() as conn:
            await conn.run_sync(search_index.drop)
    await _load_products(engine, products)
    async with engine.begin() as conn:
        await _fill_counters(conn)
        await conn.execute(text("CREATE TABLE bench_search_seed (version TEXT, products INTEGER)"))
        await conn.execute(
            text("INSERT INTO bench_search_seed VALUES (:v, :n)"),
            {"v": _version(users), "n": products},
        )


async def _load_products(engine: AsyncEngine, products: int) -> None:
    now = datetime.now(UTC)
    columns = (*COLUMNS, "is_active", "is_deleted", "created_at", "updated_at")
    rows = ((*row, True, False, now, now) for row in product_rows(products, 2))
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                "products", records=rows, columns=columns
            )
        return
    # SQLite: the sync driver in a thread, one transaction.
    path = make_url(str(engine.url)).database

    def load() -> None:
        conn = sqlite3.connect(path)
        try:
            marks = ", ".join("?" for _ in columns)
            conn.executemany(
                f"INSERT INTO products ({', '.join(columns)}) VALUES ({marks})",
                ((*r[:3], str(r[3]), *r[4:]) for r in rows),
            )
            conn.commit()
        finally:
            conn.close()

    await asyncio.to_thread(load)


async def ensure(engine: AsyncEngine, products: int, users: int) -> tuple[bool, float]:
    """The catalog seeded (unless already there) and the search index objects in place;
    (seeded now?, seconds it took)."""
    started = asyncio.get_running_loop().time()
    fresh = not await seeded(engine, products, users)
    if fresh:
        await seed(engine, products, users)
    if search_index is not None:
        async with engine.begin() as conn:
            await conn.run_sync(search_index.ensure, rebuild=fresh)
    async with engine.begin() as conn:
        if fresh:
            await conn.execute(text("ANALYZE"))
    return fresh, asyncio.get_running_loop().time() - started
