"""Diagnostics for `browse.py --explain`: the `next` arm again with one piece of the
storefront's work served from memory, so the report shows what that piece costs.

Measuring only. Both shortcuts would serve stale data to a real bot (a ban, a role or a
language changed by another process; a price changed since), which is why the bot itself
does neither.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import screens.catalog
from bot.middlewares.isolation import IsolationMiddleware
from bot.middlewares.user import UserMiddleware
from bot.storage import _CACHE as FSM_CACHE
from bot.storage import HeldLock, SqlStorage, held_lock

Patch = Callable[[], AbstractContextManager[None]]


def user_row_from_memory() -> Patch:
    """The user's row and dialog state read once per user, then remembered: the
    storefront without reading them on each update (the page then runs its own
    statement, the one the lookup would have carried)."""
    memo: dict[int, tuple[Any, dict[str, Any]]] = {}
    original = UserMiddleware._lookup

    async def lookup(self: UserMiddleware, session: Any, telegram_id: int, data: Any) -> Any:
        if telegram_id not in memo:
            user = await original(self, session, telegram_id, data)
            session.expunge(user)
            memo[telegram_id] = (user, dict(session.info.get(FSM_CACHE, {})))
        else:
            data.pop("read_ahead", None)  # the page then runs its own statement
        user, records = memo[telegram_id]
        for key, (state, values) in records.items():
            SqlStorage.remember(session, key, state, values)
        return user

    @contextmanager
    def patch() -> Iterator[None]:
        UserMiddleware._lookup = lookup  # type: ignore[method-assign]
        try:
            yield
        finally:
            UserMiddleware._lookup = original  # type: ignore[method-assign]

    return patch


def keyboard_from_memory() -> Patch:
    """Each category page's keyboard built once, then remembered: the storefront without
    building its 13-button keyboard (sending it and parsing Telegram's answer remain)."""
    memo: dict[tuple[int, int, int], Any] = {}
    original = screens.catalog.category_kb

    def category_kb(category_id: int, parent_id: Any, children: Any, products: Any, **kw: Any):
        key = (category_id, products.page, products.first_id)
        if key not in memo:
            memo[key] = original(category_id, parent_id, children, products, **kw)
        return memo[key]

    @contextmanager
    def patch() -> Iterator[None]:
        screens.catalog.category_kb = category_kb  # type: ignore[assignment]
        try:
            yield
        finally:
            screens.catalog.category_kb = original

    return patch


def without_isolation() -> Patch:
    """The per-user lock (`IsolationMiddleware`) passed through: what serialising one
    user's updates costs a press. (Without it a double tap can run twice.)"""
    original = IsolationMiddleware.__call__

    async def passthrough(self: IsolationMiddleware, handler: Any, event: Any, data: Any) -> Any:
        # The lock skipped, but the update still counts as its key's holder (so its
        # dialog state is read once, as with the lock): only the lock's cost is gone.
        context = self.fsm.resolve_event_context(data["bot"], data)
        token = held_lock.set(HeldLock(context.key) if context is not None else None)
        try:
            return await handler(event, data)
        finally:
            held_lock.reset(token)

    @contextmanager
    def patch() -> Iterator[None]:
        IsolationMiddleware.__call__ = passthrough  # type: ignore[method-assign]
        try:
            yield
        finally:
            IsolationMiddleware.__call__ = original  # type: ignore[method-assign]

    return patch


DIAGNOSTICS: dict[str, Callable[[], Patch]] = {
    "next, user row from memory": user_row_from_memory,
    "next, keyboard from memory": keyboard_from_memory,
    "next, no per-user lock": without_isolation,
}
