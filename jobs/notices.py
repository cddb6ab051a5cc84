"""The sender of the messages the web API owes (services/notices.py), in the bot's
process: every `poll_interval` seconds (the API can't wake it), each claimed once, so
several workers never send one twice."""

import logging

from aiogram import Bot
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobs.broadcaster import RateLimiter
from jobs.notify import notify_new_role, notify_review
from jobs.poller import Poller
from models import NoticeKind, Review, User
from services.notices import Notice, NoticeService

log = logging.getLogger(__name__)


class NoticeSender(Poller):
    name = "web-notices"

    def __init__(
        self,
        pool: async_sessionmaker[AsyncSession],
        limiter: RateLimiter,
        i18n: I18n,
        *,
        poll_interval: float = 10.0,
    ) -> None:
        super().__init__()
        self.pool = pool
        self.limiter = limiter
        self.i18n = i18n
        self.poll_interval = poll_interval

    async def drain(self, bot: Bot) -> int:
        """Claims one notice at a time, so a stop (or a crash) loses at most the one
        being sent; through the broadcasts' rate limiter, as everything sent in bulk."""
        sent = 0
        while True:
            async with self.pool() as session, session.begin():
                claimed = await NoticeService(session).claim(1)
            if not claimed:
                return sent
            await self.limiter.acquire()
            try:
                async with self.pool() as session, session.begin():
                    sent += await self._send(bot, session, claimed[0])
            except Exception:  # one bad notice must not hold up the rest
                log.exception("Web notice %s could not be sent", claimed[0])

    async def _send(self, bot: Bot, session: AsyncSession, notice: Notice) -> bool:
        """Sends what the change is now (a review deleted since, or a user gone: nothing)."""
        with self.i18n.context():
            if notice.kind is NoticeKind.role:
                user = await session.get(User, notice.subject_id)
                if user is not None:
                    await notify_new_role(bot, session, self.i18n, notice.actor_id, user)
                return user is not None
            review = await session.get(Review, notice.subject_id)
            if review is not None:
                created = notice.kind is NoticeKind.review_new
                await notify_review(bot, session, self.i18n, review, created)
            return review is not None
