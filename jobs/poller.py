"""A job that works through a queue kept in the database: at start-up, when woken (an
update that queued something has committed), and every `poll_interval` seconds for
what other processes queue (the web API, another worker, the shell)."""

import asyncio
import contextlib
import logging

from aiogram import Bot

log = logging.getLogger(__name__)


class Poller:
    name = "poller"  # the task's name, and the log's
    poll_interval = 30.0

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def drain(self, bot: Bot) -> int:
        """One pass: everything queued now; returns how many went out."""
        raise NotImplementedError

    def start(self, bot: Bot) -> asyncio.Task[None]:
        """At start-up: the loop that sends what is queued now, then whatever comes."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(bot), name=self.name)
        return self._task

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self, bot: Bot) -> None:
        while True:
            try:
                await self.drain(bot)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: a pass failed; trying again later", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()
