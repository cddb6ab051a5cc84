"""The reservation sweep: runs in the bot process, next to the broadcaster.

Every `interval` seconds it cancels the orders whose hold ran out (services/reservations.py
claims them atomically; with several bot processes on PostgreSQL one sweeps at a time,
under an advisory lock), commits, and then
tells each customer, with a button to order again; a cash-on-delivery order's sellers
hear of it too. Time comes from `clock`, so tests move it instead of waiting.
The deadlines are in the database: after a restart the first pass catches up.
"""

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.utils.i18n import I18n
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.notify import notify, tell_sellers
from models import Order, User
from screens.reservations import expired_screen, seller_expired_screen
from services.orders import OrderService
from services.reservations import Clock, ReservationService, utc_now

log = logging.getLogger(__name__)

# First key of the PostgreSQL advisory lock held while one process sweeps ("rs").
_LOCK_NAMESPACE = 0x7273


class ReservationSweeper:
    def __init__(
        self,
        pool: async_sessionmaker[AsyncSession],
        i18n: I18n,
        *,
        clock: Clock = utc_now,
        interval: float = 60.0,
        batch: int = 100,
    ) -> None:
        self.pool = pool
        self.i18n = i18n
        self.clock = clock
        self.interval = interval
        self.batch = batch
        self.task: asyncio.Task[None] | None = None

    async def sweep(self, bot: Bot) -> list[int]:
        """One pass: every order due now is cancelled and its customer told; their ids."""
        cancelled: list[int] = []
        while True:
            async with self.pool() as session, session.begin():
                if not await self._only_sweeper(session):
                    return cancelled  # another process is sweeping this minute
                orders = await ReservationService(session).expire_due(self.clock(), self.batch)
            # Committed: only now may anyone hear that the order is cancelled.
            if orders:
                async with self.pool() as session, session.begin():
                    for order in orders:
                        await self._tell(bot, session, order)
            cancelled += [o.id for o in orders]
            if len(orders) < self.batch:
                return cancelled

    @staticmethod
    async def _only_sweeper(session: AsyncSession) -> bool:
        """One process sweeps at a time: on PostgreSQL a transaction-scoped advisory lock
        (it goes with the transaction, even if the process dies). The claim itself would
        keep two sweepers from cancelling an order twice anyway; this spares the work. A
        SQLite file serves one process."""
        if session.get_bind().dialect.name != "postgresql":
            return True
        key = {"ns": _LOCK_NAMESPACE, "id": 0}
        return bool(await session.scalar(text("SELECT pg_try_advisory_xact_lock(:ns, :id)"), key))

    async def _tell(self, bot: Bot, session: AsyncSession, order: Order) -> None:
        with self.i18n.context():  # outside an update: notify() picks each one's language
            await self._tell_all(bot, session, order)

    async def _tell_all(self, bot: Bot, session: AsyncSession, order: Order) -> None:
        customer = await session.get(User, order.user_id)
        if customer is not None:
            await notify(bot, session, self.i18n, customer, lambda _l: expired_screen(order))
        # Its sellers heard of it when it was placed: they hear it is gone.
        await tell_sellers(bot, self.i18n, OrderService(session), order, seller_expired_screen)

    # -- in the bot process ------------------------------------------------------------

    def start(self, bot: Bot) -> asyncio.Task[None]:
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._loop(bot), name="reservation-sweep")
        return self.task

    async def _loop(self, bot: Bot) -> None:
        while True:
            try:
                done = await self.sweep(bot)
                if done:
                    log.info("Reservations expired: orders %s", done)
            except Exception:  # one failed pass must not end the sweeping
                log.exception("Reservation sweep failed; trying again later")
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
