"""Pieces the benchmarks share: a Bot API session on the wire format, seeding, counting SQL.

`WireSession` answers instantly but does the work a real session does around the network:
the request is serialised as aiohttp's session serialises it (`prepare_value`, JSON for
markup) and the answer is parsed from JSON through `check_response`, as polling does with
every update. Every arm, floors included, runs on it, so the ratios compare like with like.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.enums import ParseMode
from aiogram.methods import Response, TelegramMethod
from aiogram.types import Update
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from models import Base, Category, Product, User

BOT_ID = 42
TOKEN = f"{BOT_ID}:BENCH-token-for-the-wire-session"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Shop", "username": "shop_bench_bot"}
# Methods whose answer is the message they sent or edited.
_MESSAGE_METHODS = {
    "sendMessage",
    "sendPhoto",
    "editMessageText",
    "editMessageCaption",
    "editMessageMedia",
    "editMessageReplyMarkup",
}


class WireSession(BaseSession):
    """A Bot API session with no network: real serialisation and parsing, instant answers.

    Keeps the current message of each chat as Telegram would send it back (a dict), so a
    driver can press a button on it like a user: `screens[chat_id]`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.screens: dict[int, dict[str, Any]] = {}
        self.calls: dict[str, int] = {}
        self.alerts: list[str] = []
        self._ids = itertools.count(1)

    async def close(self) -> None:
        pass

    async def stream_content(self, *args: Any, **kwargs: Any):  # pragma: no cover
        raise NotImplementedError
        yield b""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        files: dict[str, Any] = {}
        form = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                form[key] = prepared
        name = method.__api_method__
        self.calls[name] = self.calls.get(name, 0) + 1
        result = self._answer(name, form)
        content = self.json_dumps({"ok": True, "result": result})
        return self.check_response(bot, method, 200, content).result

    def _answer(self, name: str, form: dict[str, Any]) -> Any:
        if name in _MESSAGE_METHODS:
            chat_id = int(form["chat_id"])
            old = self.screens.get(chat_id)
            if name.startswith("edit") and old is not None:
                message_id = int(form.get("message_id", old["message_id"]))
            else:
                message_id = next(self._ids)
            message: dict[str, Any] = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "User"},
                "from": BOT_USER,
            }
            if name in ("sendPhoto", "editMessageMedia", "editMessageCaption"):
                media = json.loads(form["media"]) if "media" in form else {}
                photo = form.get("photo") or media.get("media") or "photo"
                message["photo"] = [
                    {"file_id": photo, "file_unique_id": "u", "width": 800, "height": 600}
                ]
                message["caption"] = form.get("caption") or media.get("caption") or ""
            else:
                message["text"] = form.get("text", old.get("text", "") if old else "")
            if "reply_markup" in form:
                message["reply_markup"] = json.loads(form["reply_markup"])
            self.screens[chat_id] = message
            return message
        if name == "deleteMessage":
            return True
        if name == "answerCallbackQuery":
            if form.get("show_alert") or form.get("text"):
                self.alerts.append(form.get("text", ""))
            return True
        if name == "getMe":
            return BOT_USER
        return True


class KeepResponseTypes(BaseRequestMiddleware):
    """Keeps the classes Bot API answers are parsed into alive.

    aiogram parses every answer as `Response[T]`, a generic pydantic class built on first
    use and cached only weakly: a full garbage collection drops it and the next call
    rebuilds it (3-12 ms). A running bot pays that once per full collection; the
    benchmark collects between rounds, and without this a third of its calls would.
    """

    def __init__(self) -> None:
        self._kept: dict[Any, Any] = {}

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        returning = method.__returning__
        if returning not in self._kept:
            self._kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


def make_bot(session: WireSession) -> Bot:
    session.middleware(KeepResponseTypes())
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def tg_user(uid: int) -> dict[str, Any]:
    return {
        "id": uid,
        "is_bot": False,
        "first_name": f"User{uid}",
        "language_code": "ru" if uid % 4 == 0 else "en",
    }


_update_ids = itertools.count(1)


def callback_update(bot: Bot, uid: int, message: dict[str, Any], data: str) -> Update:
    """A button press on `message`, parsed from Telegram's JSON as polling does."""
    n = next(_update_ids)
    raw = {
        "update_id": n,
        "callback_query": {
            "id": f"cq{n}",
            "from": tg_user(uid),
            "chat_instance": f"ci{uid}",
            "message": message,
            "data": data,
        },
    }
    return Update.model_validate(raw, context={"bot": bot})


def message_update(bot: Bot, uid: int, text_: str) -> Update:
    n = next(_update_ids)
    raw = {
        "update_id": n,
        "message": {
            "message_id": 1_000_000 + n,
            "date": int(time.time()),
            "chat": {"id": uid, "type": "private", "first_name": f"User{uid}"},
            "from": tg_user(uid),
            "text": text_,
        },
    }
    return Update.model_validate(raw, context={"bot": bot})


def buttons(message: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, callback_data) of every button of a message."""
    if not message:
        return []
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


# -- counting SQL ------------------------------------------------------------------------


@dataclass
class SqlCounter:
    """Statements and transactions an engine ran, through SQLAlchemy's events."""

    statements: int = 0
    commits: int = 0
    rollbacks: int = 0
    log: list[str] | None = None

    def attach(self, engine: AsyncEngine) -> SqlCounter:
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._stmt)
        event.listen(sync, "commit", self._commit)
        event.listen(sync, "rollback", self._rollback)
        return self

    def _stmt(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements += 1
        if self.log is not None:
            self.log.append(statement)

    def _commit(self, conn) -> None:
        self.commits += 1

    def _rollback(self, conn) -> None:
        self.rollbacks += 1

    def snapshot(self) -> tuple[int, int, int]:
        return self.statements, self.commits, self.rollbacks


# -- seeding -----------------------------------------------------------------------------

floor_metadata = MetaData()
floor_rows = Table(
    "bench_floor_rows",
    floor_metadata,
    Column("id", Integer, primary_key=True),
    Column("category_id", Integer, nullable=False),
    Column("name", String(255), nullable=False),
    Column("price", Numeric(12, 2), nullable=False),
    Index("ix_bench_floor_rows_listing", "category_id", "id"),
)
FLOOR_ROWS = 100_000
CHUNK = 5_000


@dataclass
class Catalog:
    big_category_id: int
    first_product_id: int
    products: int
    user_ids: list[int] = field(default_factory=list)


async def reset_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(floor_metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
        await conn.run_sync(floor_metadata.create_all)


async def _insert_chunks(engine: AsyncEngine, table: Table, rows_of) -> None:
    batch: list[dict[str, Any]] = []
    async with engine.begin() as conn:
        for row in rows_of:
            batch.append(row)
            if len(batch) == CHUNK:
                await conn.execute(insert(table), batch)
                batch = []
        if batch:
            await conn.execute(insert(table), batch)


async def seed(engine: AsyncEngine, products: int, users: int, floor: int = FLOOR_ROWS) -> Catalog:
    """Schema from the models; one big category with `products` products, two small
    ones, `users` registered customers, and the floor's 100,000-row table."""
    await reset_schema(engine)
    cat = Category.__table__
    async with engine.begin() as conn:
        await conn.execute(
            insert(cat),
            [
                {"id": 1, "name": "Everything", "slug": "everything", "position": 0},
                {"id": 2, "name": "Small & cosy", "slug": "small", "position": 1},
                {"id": 3, "name": "Empty", "slug": "empty", "position": 2},
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

    has_search = "search_text" in Product.__table__.c

    def product_rows():
        for row in _product_rows(products):
            if has_search:
                row["search_text"] = f"{row['name']}\n{row['description']}".casefold()
            yield row

    await _insert_chunks(engine, Product.__table__, product_rows())
    await _insert_chunks(
        engine,
        floor_rows,
        (
            {"category_id": 1, "name": f"Row {i}", "price": Decimal(i % 1000) + 1}
            for i in range(floor)
        ),
    )
    async with engine.begin() as conn:
        await _fill_counters(conn)
        first = await conn.scalar(select(Product.id).where(Product.category_id == 1).limit(1))
        await conn.execute(text("ANALYZE"))
    return Catalog(1, int(first or 0), products, list(range(1, users + 1)))


def _product_rows(products: int):
    for i in range(products):
        yield {
            "name": f"Product {i:06d}",
            "slug": f"product-{i}",
            "description": f"A fine thing, number {i}. Useful <and> cheap.",
            "price": Decimal(100 + i % 900) + Decimal("0.99"),
            "stock": i % 50,
            "category_id": 1,
        }
    for i in range(10):
        yield {
            "name": f"Small thing {i}",
            "slug": f"small-{i}",
            "description": "",
            "price": Decimal("5.00"),
            "stock": 3,
            "category_id": 2,
        }


async def _fill_counters(conn) -> None:
    """Counters the catalog keeps on categories (if the schema has them) are filled in."""
    for column in Category.__table__.columns:
        if "count" in column.name:
            products = Product.__table__
            counted = (
                select(text("count(*)"))
                .select_from(products)
                .where(
                    products.c.category_id == Category.__table__.c.id,
                    products.c.is_active.is_(True),
                    products.c.is_deleted.is_(False),
                )
                .scalar_subquery()
            )
            await conn.execute(Category.__table__.update().values({column.name: counted}))
