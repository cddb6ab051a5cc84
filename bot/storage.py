"""Where dialog state lives.

`SqlStorage`, in the application database for installs without Redis: inside an update
it works in that update's session and transaction, so there is no second connection, and a
handler that fails rolls its dialog step back with everything else.

`SessionRedisStorage`, aiogram's Redis storage read once per update: see its docstring.

Both keep what an update read of its own dialog key (`locked_key`) in its session
(`session.info`): the update holds that key's isolation lock, so nobody else changes
it meanwhile. Other keys are read and written through every time. Both skip writes
that change nothing (every menu button leaves "no dialog" for "no dialog"), and hand
out copies, so a handler that changes a list inside the data and saves it is saved.
"""

import copy
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import current_session
from db.sql import upsert
from models import FsmRecord

# The dialog key whose isolation lock the update being handled holds (set by
# bot/middlewares/isolation.py). Only that key's state is kept in the session and has
# unchanged writes skipped: nobody else can change it meanwhile. Any other key (an
# admin resetting a customer's dialog) is read and written through every time.
locked_key: ContextVar[StorageKey | None] = ContextVar("locked_key", default=None)


def _same(a: Any, b: Any) -> bool:
    """Equal as stored: True and 1, or a tuple and a list, are not the same JSON."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


_CACHE = "fsm_records"
_table = FsmRecord.__table__
_GET = select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == bindparam("fsm_key"))


class SqlStorage(BaseStorage):
    def __init__(
        self, pool: async_sessionmaker[AsyncSession], key_builder: KeyBuilder | None = None
    ) -> None:
        self.pool = pool
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True, with_bot_id=True)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        session = current_session.get()
        if session is not None:
            yield session
            return
        async with self.pool() as session, session.begin():
            yield session

    @staticmethod
    def with_record(stmt: Select) -> Select:
        """`stmt` plus the state and data of the record whose key is bound as `fsm_key`
        (outer joined: None when there is none), so the row an update needs and its
        dialog state come in one statement. Cache what it read with `remember`."""
        left = stmt.column_descriptions[0]["entity"]
        return stmt.add_columns(FsmRecord.state, FsmRecord.data).outerjoin_from(
            left, FsmRecord, FsmRecord.key == bindparam("fsm_key")
        )

    @staticmethod
    def remember(session: AsyncSession, key: str, state: str | None, data: Any) -> None:
        """Caches a record read through `with_record` for the rest of this session."""
        session.info.setdefault(_CACHE, {})[key] = (state, copy.deepcopy(dict(data or {})))

    async def _load(
        self, session: AsyncSession, key: StorageKey
    ) -> tuple[str | None, dict[str, Any]]:
        k = self.key_builder.build(key)
        cache: dict[str, tuple[str | None, dict[str, Any]]] = session.info.setdefault(_CACHE, {})
        if k not in cache or key != locked_key.get():
            row = (await session.execute(_GET, {"fsm_key": k})).first()
            cache[k] = (row.state, dict(row.data or {})) if row else (None, {})
        return cache[k]

    async def _save(self, key: StorageKey, *, state: Any = ..., data: Any = ...) -> None:
        k = self.key_builder.build(key)
        async with self._session() as session:
            old_state, old_data = await self._load(session, key)
            new_state = old_state if state is ... else state
            new_data = old_data if data is ... else copy.deepcopy(dict(data))
            if new_state == old_state and _same(new_data, old_data):
                return  # leaving no dialog (every menu button asks to): nothing to write
            session.info[_CACHE][k] = (new_state, new_data)
            if new_state is None and not new_data:
                await session.execute(delete(FsmRecord).where(FsmRecord.key == k))
                return
            values = {"key": k, "state": new_state, "data": new_data}
            await session.execute(
                upsert(session, _table, values, ["key"], ["state", "data", "updated_at"])
            )

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._save(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._session() as session:
            return (await self._load(session, key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._save(key, data=data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session() as session:
            return copy.deepcopy((await self._load(session, key))[1])

    async def close(self) -> None:
        """The pool belongs to the application; nothing to close here."""


_REDIS_CACHE = "fsm_redis"


class SessionRedisStorage(RedisStorage):
    """aiogram's `RedisStorage`, read once per update. Inside an update (its session
    open), for the key whose lock the update holds (`locked_key`), the first read
    fetches the state and the data in one MGET, and later reads are answered from the
    session; a write that changes nothing is skipped. A catalog
    press took five round trips to Redis for its dialog state (GET state twice, GET
    data, DEL state and data on leaving no dialog) and now takes one. Outside an update
    (jobs, the admin CLI) it is aiogram's storage as it is. No TTLs are set on these
    keys, so a skipped write refreshes nothing."""

    @staticmethod
    def _cache(key: StorageKey) -> dict[str, tuple[str | None, str | None]] | None:
        session = current_session.get()
        if session is None or key != locked_key.get():
            return None
        return session.info.setdefault(_REDIS_CACHE, {})

    async def _load(
        self, cache: dict[str, tuple[str | None, str | None]], key: StorageKey
    ) -> tuple[str | None, str | None]:
        """(state, data as JSON) of `key`, fetched once per session."""
        k = self.key_builder.build(key)
        if k not in cache:
            keys = (self.key_builder.build(key, "state"), self.key_builder.build(key, "data"))
            values = await self.redis.mget(keys)
            state, data = (v.decode() if isinstance(v, bytes) else v for v in values)
            cache[k] = (state, data)
        return cache[k]

    async def get_state(self, key: StorageKey) -> str | None:
        cache = self._cache(key)
        if cache is None:
            return await super().get_state(key)
        return (await self._load(cache, key))[0]

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        cache = self._cache(key)
        if cache is None:
            return await super().get_data(key)
        data = (await self._load(cache, key))[1]
        return {} if data is None else self.json_loads(data)  # a fresh copy each time

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        cache = self._cache(key)
        value = state.state if isinstance(state, State) else state
        if cache is not None:
            old_state, data = await self._load(cache, key)
            if value == old_state:
                return
        await super().set_state(key, value)
        if cache is not None:  # once Redis has it
            cache[self.key_builder.build(key)] = (value, data)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        cache = self._cache(key)
        if cache is not None and isinstance(data, dict):
            state, old_data = await self._load(cache, key)
            new_data = self.json_dumps(data) if data else None
            if new_data == old_data:
                return
        await super().set_data(key, data)
        if cache is not None and isinstance(data, dict):  # once Redis has it
            cache[self.key_builder.build(key)] = (state, new_data)
