import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.types import TelegramObject

from bot.storage import HeldLock, held_lock


class LocalIsolation(BaseEventIsolation):
    """aiogram's SimpleEventIsolation (one asyncio lock per user and chat, this process
    only) without its leak: it keeps a lock for every user it ever saw; here a lock goes
    away when nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def close(self) -> None:
        self._locks.clear()


class IsolationMiddleware(BaseMiddleware):
    """One update at a time per user and chat (without Redis; with it, the Redis gate
    takes the lock): aiogram's event isolation, taken before
    the update's session opens rather than inside the FSM middleware, so that all an
    update reads (its sender's row, dialog state and read-ahead screen) and its commit
    happen under the lock. A double-tapped Publish then runs once: the second tap sees
    what the first committed."""

    def __init__(self, isolation: BaseEventIsolation, fsm: FSMContextMiddleware) -> None:
        self.isolation = isolation
        self.fsm = fsm

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context = self.fsm.resolve_event_context(data["bot"], data)
        if context is None:
            return await handler(event, data)
        async with self.isolation.lock(context.key):
            token = held_lock.set(HeldLock(context.key))
            try:
                return await handler(event, data)
            finally:
                held_lock.reset(token)
