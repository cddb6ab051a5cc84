"""Webhook mode, one worker: an aiohttp server with aiogram's request handler, /healthz
and /metrics. `bot/supervisor.py` runs several of these on one port."""

import asyncio
import contextlib
import gc
import hmac
import logging
import signal
import socket
import time
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.factory import shared_redis, start_jobs, stop_jobs
from bot.metrics import Metrics

log = logging.getLogger("bot.webhook")

DRAIN_TIMEOUT = 30.0  # seconds a stopping worker waits for the updates it is handling
CANCEL_GRACE = 5.0  # then seconds the cancelled ones get to roll back
CHECK_TIMEOUT = 2.0  # /healthz: seconds each dependency gets to answer


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler, plus: the secret compared in constant time on bytes (a header
    that is not ASCII is wrong, not a crash), refusals logged at most once a minute, a
    body that is not an update answered 400, and a count of updates in flight so that a
    stopping worker can finish them (`drain`). The update is answered after it has been
    handled (not in the background): a worker that dies meanwhile leaves it unanswered,
    Telegram delivers it again, and the dedupe middleware makes that safe."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        secret: str,
        metrics: Metrics | None = None,
        **data: Any,
    ) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret, **data)
        self.metrics = metrics  # counts the Bot API calls that go in replies
        self._secret = secret.encode()
        self._refused_logged = float("-inf")
        self.refused = 0
        self.in_flight = 0
        self.draining = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._handling: set[asyncio.Task[Any]] = set()  # the requests of `in_flight`

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        given = telegram_secret_token.encode("utf-8", "surrogateescape")
        return hmac.compare_digest(given, self._secret)

    async def handle(self, request: web.Request) -> web.Response:
        if self.draining:  # Telegram tries again; another worker answers
            return web.Response(status=503, text="Shutting down")
        if not self.verify_secret(
            request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), self.bot
        ):
            self._log_refusal(request)
            return web.Response(status=401, text="Unauthorized")
        try:
            update = await request.json(loads=self.bot.session.json_loads)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return web.Response(status=400, text="The body is not JSON")
        try:
            update = Update.model_validate(update, context={"bot": self.bot})
            update.event_type  # noqa: B018  (raises for an update that holds nothing known)
        except ValidationError:
            return web.Response(status=400, text="The body is not an update")
        except UpdateTypeLookupError:  # a kind this aiogram doesn't know: nothing to do
            log.debug("Update %s holds nothing this bot handles", update.update_id)
            return web.json_response({})
        self.in_flight += 1
        self._idle.clear()
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        try:
            result = await self.dispatcher.feed_webhook_update(self.bot, update, **self.data)
        except Exception:
            # Nothing was committed: a 500 makes Telegram deliver it again later.
            log.exception("Update %s failed", update.update_id)
            return web.Response(status=500, text="Internal error")
        finally:
            self._handling.discard(task)  # type: ignore[arg-type]
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()
        if result is not None and self.metrics is not None:
            self.metrics.api_calls.labels(result.__api_method__).inc()
        return web.Response(body=self._build_response_writer(bot=self.bot, result=result))

    def _log_refusal(self, request: web.Request) -> None:
        self.refused += 1
        now = time.monotonic()
        if now - self._refused_logged >= 60:
            log.warning(
                "Webhook: %s request(s) without the right secret refused (401); the last "
                "from %s. Is someone else posting here, or did WEBHOOK_SECRET change?",
                self.refused,
                request.headers.get("X-Forwarded-For") or request.remote,
            )
            self._refused_logged = now
            self.refused = 0

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> bool:
        """Refuse new updates, wait for those in flight; False if time ran out. Those
        still running then (a Bot API call that hangs) are cancelled: their transaction
        rolls back, and their post gets no answer, so Telegram delivers them again (to a
        worker still running, or after the restart) instead of a 200 for nothing done.
        One that had committed changes already counts as handled (bot.middlewares.gate):
        that delivery does nothing."""
        self.draining = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            for task in self._handling:
                task.cancel()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), CANCEL_GRACE)
            return False
        return True


async def health(engine: AsyncEngine, redis: Any) -> tuple[bool, dict[str, str]]:
    """Whether the database and Redis (when configured) answer, and what each said."""
    report: dict[str, str] = {}

    async def database() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    checks = {"database": database}
    if redis is not None:
        checks["redis"] = redis.ping
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT)
            report[name] = "ok"
        except Exception as exc:
            report[name] = (
                f"unreachable: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            )
    if redis is None:
        report["redis"] = "not configured"
    ok = all(v in {"ok", "not configured"} for v in report.values())
    return ok, report


def build_app(
    dp: Dispatcher, bot: Bot, settings: Settings, engine: AsyncEngine, metrics: Metrics
) -> tuple[web.Application, WebhookHandler]:
    _url, secret = settings.require_webhook()
    app = web.Application()
    handler = WebhookHandler(dp, bot, secret, metrics)
    handler.register(app, path=settings.webhook_path)
    setup_application(app, dp, bot=bot)

    async def healthz(_request: web.Request) -> web.Response:
        ok, report = await health(engine, shared_redis(dp.fsm.storage)[0])
        return web.json_response(report, status=200 if ok else 503)

    async def metrics_page(_request: web.Request) -> web.Response:
        body, content_type = metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    return app, handler


async def register_webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    """What one process does for all workers, as polling does at start: the command
    menu, one line naming what the shop uses, and setWebhook (the URL, the secret, the
    update kinds the routers handle, so Telegram sends no others, and how many
    connections at once). The Bot API refusing: one line (ConfigError)."""
    from bot.commands import set_commands
    from bot.startup import bot_api_refusals, log_what_it_uses

    url, secret = settings.require_webhook()
    log_what_it_uses(settings)
    with bot_api_refusals():
        await set_commands(bot, dp["i18n"], dp["session_pool"])
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
            max_connections=settings.webhook_max_connections,
            drop_pending_updates=False,
        )
    log.info("Webhook set: %s (max %s connections)", url, settings.webhook_max_connections)


async def serve(settings: Settings, sock: socket.socket | None, set_webhook: bool) -> None:
    """One worker: serve until SIGTERM/SIGINT, then finish the updates in flight."""
    from bot.factory import create_bot, create_dispatcher, create_storage
    from bot.i18n import create_i18n
    from bot.startup import check_redis, prepare_database
    from db.engine import create_session_pool

    settings.require_token()
    settings.require_webhook()
    i18n = create_i18n(settings.default_locale)
    engine = await prepare_database(settings)
    try:
        await check_redis(settings)
    except Exception:
        await engine.dispose()
        raise
    pool = create_session_pool(engine)
    storage = create_storage(settings, pool)
    metrics = Metrics()
    bot = create_bot(settings)
    bot.session.middleware(metrics.api_middleware)
    dp = create_dispatcher(
        settings, pool, storage, i18n, exactly_once=True, metrics=metrics, answer_in_reply=True
    )
    app, handler = build_app(dp, bot, settings, engine, metrics)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    if sock is None:
        site: web.BaseSite = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    else:
        site = web.SockSite(runner, sock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    broadcaster = dp["broadcaster"]
    watch = None
    try:
        if set_webhook:
            await register_webhook(bot, dp, settings)
        # What start-up built lives as long as the process: out of the collector's sight,
        # a full collection no longer walks it (a pause of a few hundred ms under load).
        gc.freeze()
        await site.start()
        log.info("Worker ready on %s", site.name)
        await broadcaster.resume(bot)
        watch = asyncio.create_task(broadcaster.watch(bot, settings.broadcast_lease / 3))
        start_jobs(dp, bot)  # every worker runs them (bot.factory.JOBS)
        await stop.wait()
        log.info("Stopping: finishing %s update(s) in flight", handler.in_flight)
        await site.stop()
        if not await handler.drain():
            log.warning("Stopped with %s update(s) unfinished", handler.in_flight)
    finally:
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        await broadcaster.stop()
        await stop_jobs(dp)
        await runner.cleanup()  # on_shutdown: the dispatcher's, and the Bot API session
        await storage.close()
        await engine.dispose()
