"""The back-in-stock sender: works through the due alerts (services/restock.py) in the
bot process, through the broadcaster's rate limiter (one limit for everything the bot
sends in bulk).

It wakes when an update that made alerts due has committed (bot.middlewares.restock), and every
`poll_interval` seconds for stock raised elsewhere (another process, the shell). It
survives restarts: what is due stays due in the database. On PostgreSQL one process at
a time sends (an advisory lock), so several bot processes never send an alert twice.
"""

import contextlib
import logging
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.utils.i18n import I18n
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.broadcaster import MAX_ATTEMPTS, RateLimiter
from jobs.poller import Poller
from models import AlertStatus
from screens.catalog import restock_screen
from services.restock import Claimed, RestockService

log = logging.getLogger(__name__)

_LOCK = {"ns": 0x7273, "id": 0}  # "rs": one restock sender across processes


class RestockSender(Poller):
    name = "restock-alerts"

    def __init__(
        self,
        pool: async_sessionmaker[AsyncSession],
        limiter: RateLimiter,
        i18n: I18n,
        *,
        batch_size: int = 50,
        poll_interval: float = 30.0,
    ) -> None:
        super().__init__()
        self.pool = pool
        self.limiter = limiter
        self.i18n = i18n
        self.batch_size = batch_size
        self.poll_interval = poll_interval

    # -- one pass --------------------------------------------------------------------

    async def drain(self, bot: Bot) -> int:
        """Sends every due alert; returns how many were delivered (0 when another
        process holds the sender's lock)."""
        delivered = 0
        async with self._exclusive() as mine:
            if not mine:
                return 0
            async with self.pool() as session, session.begin():
                lost = await RestockService(session).recover()
            if lost:
                log.warning("Restock alerts: %s were in flight at a crash; not resent", lost)
            while True:
                async with self.pool() as session, session.begin():
                    claimed = await RestockService(session).claim(self.batch_size)
                if not claimed:
                    return delivered
                outcomes = {a.id: await self._send(bot, a) for a in claimed}
                async with self.pool() as session, session.begin():
                    await RestockService(session).record(outcomes)
                delivered += sum(1 for o in outcomes.values() if o is AlertStatus.sent)

    @contextlib.asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[bool]:
        engine = self.pool.kw["bind"]
        if engine.dialect.name != "postgresql":
            yield True  # a SQLite file serves one process
            return
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            mine = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:ns, :id)"), _LOCK))
            try:
                yield mine
            finally:
                if mine:
                    await conn.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), _LOCK)

    async def _send(self, bot: Bot, alert: Claimed) -> AlertStatus:
        with self.i18n.context(), self.i18n.use_locale(alert.language):
            screen = restock_screen(alert.product_id, alert.product_name)
        for _attempt in range(MAX_ATTEMPTS):
            await self.limiter.acquire()
            try:
                await bot.send_message(alert.telegram_id, screen.text, reply_markup=screen.markup)
                return AlertStatus.sent
            except TelegramRetryAfter as exc:
                self.limiter.pause(exc.retry_after)
            except TelegramForbiddenError:
                return AlertStatus.blocked
            except TelegramAPIError as exc:
                log.info("Restock alert %s to %s failed: %s", alert.id, alert.telegram_id, exc)
                return AlertStatus.failed
        return AlertStatus.failed
