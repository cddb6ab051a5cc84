"""Where dialog state lives.

`SqlStorage`, in the application database for installs without Redis: inside an update
it works in that update's session and transaction, so there is no second connection, and a
handler that fails rolls its dialog step back with everything else. Except after a domain
error, which is an answer, not a failure: the update's other writes are rolled back, but
the dialog is where the handler left it (`keep_dialogs`), as with Redis, whose writes are
never rolled back (a command that left the dialog and then was refused has left it). A
refused commit (NotSaved) is the exception: nothing has changed, the dialog included (the
Redis gate puts the dialog back as the update found it).

`SessionRedisStorage`, aiogram's Redis storage read once per update: see its docstring.

Both keep what an update read of its own dialog key (`held_lock`): the update holds that
key's isolation lock, so nobody else changes it meanwhile. Other keys are read and
written through every time. Both skip writes
that change nothing (every menu button leaves "no dialog" for "no dialog"), and hand
out copies, so a handler that changes a list inside the data and saves it is saved.
"""

import copy
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import current_session
from db.sql import upsert
from models import FsmRecord


@dataclass(eq=False)
class HeldLock:
    """The dialog key whose isolation lock the update being handled holds (set by
    bot/middlewares/isolation.py or gate.py). Only that key's state is cached and has
    unchanged writes skipped: nobody else can change it meanwhile. Any other key (an
    admin resetting a customer's dialog) is read and written through every time.

    `stored`: the key's state and data (JSON) as Redis holds them, once read (the Redis
    gate reads them with the lock). The SQL storage keeps its copy in the session."""

    key: StorageKey
    stored: tuple[str | None, str | None] | None = None


held_lock: ContextVar[HeldLock | None] = ContextVar("held_lock", default=None)


def holding(key: StorageKey) -> HeldLock | None:
    """The update's lock when it is `key`'s."""
    lock = held_lock.get()
    return lock if lock is not None and lock.key == key else None


def as_text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _same(a: Any, b: Any) -> bool:
    """Equal as stored: True and 1, or a tuple and a list, are not the same JSON."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


_CACHE = "fsm_records"
_WRITTEN = "fsm_written"  # the records this session wrote, as it last wrote them
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
        if k not in cache or holding(key) is None:
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
            session.info[_CACHE][k] = session.info.setdefault(_WRITTEN, {})[k] = (
                new_state,
                new_data,
            )
            await _write(session, k, new_state, new_data)

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


async def _write(session: AsyncSession, key: str, state: str | None, data: dict) -> None:
    if state is None and not data:
        await session.execute(delete(FsmRecord).where(FsmRecord.key == key))
        return
    values = {"key": key, "state": state, "data": data}
    await session.execute(upsert(session, _table, values, ["key"], ["state", "data", "updated_at"]))


def dialogs_written(session: AsyncSession) -> dict[str, tuple[str | None, dict]]:
    """The dialog records `session` wrote (SqlStorage), as it last wrote them."""
    return dict(session.info.get(_WRITTEN, {}))


async def keep_dialogs(
    pool: async_sessionmaker[AsyncSession], written: dict[str, tuple[str | None, dict]]
) -> None:
    """Writes again, in a transaction of their own, the dialog records of an update whose
    transaction was rolled back (`dialogs_written` before the rollback)."""
    async with pool() as session, session.begin():
        for key, (state, data) in written.items():
            await _write(session, key, state, data)


class SessionRedisStorage(RedisStorage):
    """aiogram's `RedisStorage`, read once per update. For the key whose lock the update
    holds (`held_lock`), the state and the data are read together once (by the Redis
    gate, in the script that takes the lock, or else in one MGET), later reads are
    answered from the lock, and a write that changes nothing is skipped. A catalog press
    took five round trips to Redis for its dialog state (GET state twice, GET data, DEL
    state and data on leaving no dialog) and now takes none of its own. Other keys, and
    calls outside an update (jobs, the admin CLI), are aiogram's storage as it is. No
    TTLs are set on these keys, so a skipped write refreshes nothing."""

    async def _load(self, lock: HeldLock) -> tuple[str | None, str | None]:
        if lock.stored is None:
            build = self.key_builder.build
            values = await self.redis.mget(build(lock.key, "state"), build(lock.key, "data"))
            lock.stored = (as_text(values[0]), as_text(values[1]))
        return lock.stored

    async def get_state(self, key: StorageKey) -> str | None:
        lock = holding(key)
        if lock is None:
            return await super().get_state(key)
        return (await self._load(lock))[0]

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        lock = holding(key)
        if lock is None:
            return await super().get_data(key)
        data = (await self._load(lock))[1]
        return {} if data is None else self.json_loads(data)  # a fresh copy each time

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        lock = holding(key)
        value = state.state if isinstance(state, State) else state
        if lock is not None:
            old_state, data = await self._load(lock)
            if value == old_state:
                return
        await super().set_state(key, value)
        if lock is not None:  # once Redis has it
            lock.stored = (value, data)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        lock = holding(key) if isinstance(data, dict) else None
        if lock is not None:
            state, old_data = await self._load(lock)
            new_data = self.json_dumps(data) if data else None
            if new_data == old_data:
                return
        await super().set_data(key, data)
        if lock is not None:  # once Redis has it
            lock.stored = (state, new_data)
