"""FSM storage in the application database, for installs without Redis.

Inside an update it works in that update's session and transaction: no second
connection, and a handler that fails rolls its dialog step back with everything else.
"""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import current_session
from db.sql import upsert
from models import FsmRecord

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
        session.info.setdefault(_CACHE, {})[key] = (state, dict(data or {}))

    async def _load(self, session: AsyncSession, key: str) -> tuple[str | None, dict[str, Any]]:
        cache: dict[str, tuple[str | None, dict[str, Any]]] = session.info.setdefault(_CACHE, {})
        if key not in cache:
            row = (await session.execute(_GET, {"fsm_key": key})).first()
            cache[key] = (row.state, dict(row.data or {})) if row else (None, {})
        return cache[key]

    async def _save(self, key: StorageKey, *, state: Any = ..., data: Any = ...) -> None:
        k = self.key_builder.build(key)
        async with self._session() as session:
            old_state, old_data = await self._load(session, k)
            new_state = old_state if state is ... else state
            new_data = old_data if data is ... else dict(data)
            if (new_state, new_data) == (old_state, old_data):
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
            return (await self._load(session, self.key_builder.build(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._save(key, data=data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session() as session:
            return dict((await self._load(session, self.key_builder.build(key)))[1])

    async def close(self) -> None:
        """The pool belongs to the application; nothing to close here."""
