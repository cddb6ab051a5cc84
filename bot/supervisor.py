"""`python -m bot webhook` with WORKERS=N: a supervisor process that does the once-only
work (migrations, the Redis check, setWebhook), binds the port once, and starts N worker
processes that all accept on that one socket (the pre-fork model of gunicorn and
uvicorn). It restarts a worker that dies, and on SIGTERM/SIGINT tells every worker to
finish what it is handling and waits for them.

Why not SO_REUSEPORT: one bound socket works on every OS (SO_REUSEPORT balances only on
Linux, and lets any process of the same user bind the port too); setWebhook needs one
process before the workers anyway; and the supervisor is what restarts crashed workers
and owns the metrics directory. A worker busy with its loop simply accepts less.
"""

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from bot.config import ConfigError, Settings

log = logging.getLogger("bot.supervisor")

RESTART_DELAY = 1.0  # seconds before a worker that died is started again
STOP_TIMEOUT = 45.0  # seconds workers get to drain before they are killed


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"Cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


async def _prepare(settings: Settings) -> None:
    """What only one process does: reach and migrate the database, reach Redis, and
    tell Telegram where to post."""
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from bot.factory import create_bot, create_dispatcher, create_storage
    from bot.startup import check_redis, prepare_database
    from bot.webhook import register_webhook
    from db.engine import create_session_pool

    engine = await prepare_database(settings)
    try:
        await check_redis(settings)
        pool = create_session_pool(engine)
        storage = create_storage(settings, pool)
        bot = create_bot(settings)
        try:
            await register_webhook(bot, create_dispatcher(settings, pool, storage), settings)
        except TelegramUnauthorizedError:
            raise ConfigError("Telegram rejected BOT_TOKEN: check it with @BotFather") from None
        except TelegramNetworkError as exc:
            raise ConfigError(f"Cannot reach the Bot API: {exc.message}") from None
        finally:
            await bot.session.close()
            await storage.close()
    finally:
        await engine.dispose()


def run_webhook(settings: Settings) -> int:
    settings.require_token()
    settings.require_webhook()
    if settings.workers == 1:
        from bot.webhook import serve

        asyncio.run(serve(settings, None, set_webhook=True))
        return 0
    asyncio.run(_prepare(settings))
    sock = bind(settings.webhook_host, settings.webhook_port)
    return Supervisor(settings, sock).run()


class Supervisor:
    def __init__(self, settings: Settings, sock: socket.socket) -> None:
        self.settings = settings
        self.sock = sock
        self.workers: dict[int, subprocess.Popen[bytes]] = {}
        self.stopping = False
        self.config_error = False
        self.own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self.metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(
            prefix="bot-metrics-"
        )

    def _spawn(self) -> None:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir}
        fd = self.sock.fileno()
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "webhook-worker", str(fd)], pass_fds=[fd], env=env
        )
        self.workers[worker.pid] = worker

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        log.info(
            "Listening on %s:%s with %s workers (metrics in %s)",
            self.settings.webhook_host,
            self.settings.webhook_port,
            self.settings.workers,
            self.metrics_dir,
        )
        try:
            for _ in range(self.settings.workers):
                self._spawn()
            while not self.stopping:
                self._reap_and_restart()
                time.sleep(0.2)
            code = self._stop()
            return 2 if self.config_error else code
        finally:
            self.sock.close()
            if self.own_metrics_dir:
                shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def _reap_and_restart(self) -> None:
        from prometheus_client import multiprocess

        for pid, worker in list(self.workers.items()):
            code = worker.poll()
            if code is None:
                continue
            del self.workers[pid]
            multiprocess.mark_process_dead(pid, self.metrics_dir)
            if self.stopping:
                continue
            if code == 2:  # a configuration error: another start fails the same way
                log.error("Worker %s could not start (see above); stopping", pid)
                self.stopping = self.config_error = True
                continue
            log.error("Worker %s exited with %s; starting another", pid, code)
            time.sleep(RESTART_DELAY)
            self._spawn()

    def _stop(self) -> int:
        log.info("Stopping %s workers: they finish the updates in flight", len(self.workers))
        for worker in self.workers.values():
            worker.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        failed = False
        for worker in self.workers.values():
            try:
                code = worker.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.kill()
                code = worker.wait()
            failed = failed or code != 0
        return 1 if failed else 0


def run_worker(settings: Settings, fd: int) -> int:
    from bot.webhook import serve

    sock = socket.socket(fileno=fd)
    asyncio.run(serve(settings, sock, set_webhook=False))
    return 0
