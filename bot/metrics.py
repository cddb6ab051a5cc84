"""Prometheus metrics (`/metrics` in webhook mode): updates by kind, handling time,
errors, Bot API calls and 429s, broadcast progress.

With several workers the supervisor sets PROMETHEUS_MULTIPROC_DIR before they start:
each worker writes its numbers to files there and any worker's /metrics adds up all of
them (prometheus-client's multiprocess mode), so one scrape sees the whole shop.
"""

import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, Update
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from services.broadcast import Progress

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """One set of metrics in a registry of its own (so tests can build many)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter("bot_updates", "Updates handled, by kind", ["kind"], registry=r)
        self.latency = Histogram(
            "bot_update_seconds", "Time to handle one update", buckets=LATENCY_BUCKETS, registry=r
        )
        self.errors = Counter(
            "bot_update_errors", "Updates whose handling raised", ["kind"], registry=r
        )
        self.api_calls = Counter("bot_api_calls", "Bot API calls", ["method"], registry=r)
        self.api_429 = Counter(
            "bot_api_retry_after", "Bot API calls refused with 429 (retry after)", registry=r
        )
        self.broadcast_messages = Counter(
            "bot_broadcast_messages", "Broadcast messages, by outcome", ["outcome"], registry=r
        )
        self.broadcast_left = Gauge(
            "bot_broadcast_left",
            "Recipients left in a broadcast being sent",
            ["broadcast"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.middleware = _UpdateMetrics(self)
        self.api_middleware = _ApiMetrics(self)

    def observe_broadcast(self, broadcast_id: int, before: Progress, after: Progress) -> None:
        """The broadcaster's hook: counts what a batch changed."""
        for outcome in ("sent", "failed", "blocked"):
            delta = getattr(after, outcome) - getattr(before, outcome)
            if delta > 0:
                self.broadcast_messages.labels(outcome).inc(delta)
        left = max(0, after.total - after.sent - after.failed)
        self.broadcast_left.labels(str(broadcast_id)).set(left)

    def render(self) -> tuple[bytes, str]:
        """The text exposition: this process's metrics, or every worker's."""
        directory = multiprocess_dir()
        if directory is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry), CONTENT_TYPE_LATEST


class _UpdateMetrics(BaseMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self.m = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        start = time.perf_counter()
        try:
            return await handler(event, data)
        except Exception:
            self.m.errors.labels(kind).inc()
            raise
        finally:
            self.m.latency.observe(time.perf_counter() - start)
            self.m.updates.labels(kind).inc()


class _ApiMetrics(BaseRequestMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self.m = metrics

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        self.m.api_calls.labels(method.__api_method__).inc()
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter:
            self.m.api_429.inc()
            raise
