"""`python -m bot webhook` with WORKERS=N: a supervisor process that does the once-only
work (migrations, the Redis check, the command menu, setWebhook), then forks N workers
(the pre-fork model of gunicorn), restarts a worker that dies, and on SIGTERM/SIGINT
tells every worker to finish what it is handling and waits for them.

Listening: on Linux each worker binds its own socket to the port with SO_REUSEPORT, and
the kernel spreads new connections evenly over them. With one socket shared by all
workers (what other systems get), the worker that wakes first accepts a whole burst of
connections, and since Telegram (and nginx) keep their connections open, it would keep
most of the load. Why fork rather than start N independent processes: a forked worker
starts with everything imported (importing aiogram costs seconds of CPU, so a crashed
worker is back at once); setWebhook and migrations need one process before the workers
anyway; and the supervisor owns restarts and the metrics directory. The fork happens
with no event loop, connection or thread alive in the supervisor.
"""

import asyncio
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

from bot.config import ConfigError, Settings

log = logging.getLogger("bot.supervisor")

RESTART_DELAY = 1.0  # seconds before a worker that died is started again
STOP_TIMEOUT = 45.0  # seconds workers get to drain (30) and cancel (5) before they are killed


# SO_REUSEPORT spreads connections over the sockets only on Linux.
REUSE_PORT = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"Cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


async def _prepare(settings: Settings) -> None:
    """What only one process does: reach and migrate the database, reach Redis, set the
    command menu and tell Telegram where to post."""
    from bot.factory import create_bot, create_dispatcher, create_storage
    from bot.startup import check_connection_budget, check_redis, prepare_database
    from bot.webhook import register_webhook
    from db.engine import create_session_pool

    engine = await prepare_database(settings)
    try:
        await check_connection_budget(engine, settings)
        await check_redis(settings)
        pool = create_session_pool(engine)
        storage = create_storage(settings, pool)
        bot = create_bot(settings)
        try:
            await register_webhook(bot, create_dispatcher(settings, pool, storage), settings)
        finally:
            await bot.session.close()
            await storage.close()
    finally:
        await engine.dispose()


def run_webhook(settings: Settings) -> int:
    settings.require_token()
    settings.require_webhook()
    if settings.workers == 1:
        from bot.startup import run_service
        from bot.webhook import serve

        # Bound before Telegram is told where to post (a port in use: one line, exit 2).
        sock = bind(settings.webhook_host, settings.webhook_port)
        run_service(serve(settings, sock, set_webhook=True))
        return 0
    # Before prometheus-client is imported: it picks multiprocess mode at import.
    own_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if own_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bot-metrics-")
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    try:
        # The port is free: one clear line now, before Telegram is told where to post,
        # not one per worker later. Bound without SO_REUSEPORT, so another instance's
        # workers listening there count as taking it, and held while this one prepares,
        # so another one starting meanwhile is refused too.
        sock: socket.socket | None = bind(settings.webhook_host, settings.webhook_port)
        try:
            asyncio.run(_prepare(settings))
        except BaseException:
            sock.close()
            raise
        if REUSE_PORT:
            sock.close()  # each worker binds its own; an idle one would be handed connections
            sock = None
        return Supervisor(settings, sock, metrics_dir).run()
    finally:
        if own_dir:  # (and the variable goes with it: nothing points at a removed dir)
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]
            shutil.rmtree(metrics_dir, ignore_errors=True)


class Supervisor:
    def __init__(self, settings: Settings, sock: socket.socket | None, metrics_dir: str) -> None:
        self.settings = settings
        self.sock = sock
        self.metrics_dir = metrics_dir
        self.workers: set[int] = set()
        self.stopping = False
        self.config_error = False

    def _fork(self) -> None:
        pid = os.fork()
        if pid:
            self.workers.add(pid)
            return
        os._exit(_worker(self.settings, self.sock))  # the child never returns

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        log.info(
            "Listening on %s:%s with %s workers",
            self.settings.webhook_host,
            self.settings.webhook_port,
            self.settings.workers,
        )
        try:
            for _ in range(self.settings.workers):
                self._fork()
            while not self.stopping:
                self._reap()
                time.sleep(0.1)
            code = self._stop()
            return 2 if self.config_error else code
        finally:
            if self.sock is not None:
                self.sock.close()

    def _reap(self) -> None:
        """A worker that died is started again (after a configuration error: all stop)."""
        for pid in list(self.workers):
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done:
                continue
            self._gone(pid)
            code = os.waitstatus_to_exitcode(status)
            if self.stopping:
                continue
            if code == 2:  # a configuration error: another start fails the same way
                log.error("Worker %s could not start (see above); stopping", pid)
                self.stopping = self.config_error = True
                continue
            log.error("Worker %s exited with %s; starting another", pid, code)
            time.sleep(RESTART_DELAY)
            self._fork()

    def _gone(self, pid: int) -> None:
        from prometheus_client import multiprocess

        self.workers.discard(pid)
        multiprocess.mark_process_dead(pid, self.metrics_dir)

    def _stop(self) -> int:
        log.info("Stopping %s workers: they finish the updates in flight", len(self.workers))
        for pid in self.workers:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        failed = False
        while self.workers:
            for pid in list(self.workers):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    self._gone(pid)
                    failed = failed or os.waitstatus_to_exitcode(status) != 0
            if self.workers and time.monotonic() > deadline:
                log.warning(
                    "Workers %s did not stop within %s s: killed",
                    ", ".join(map(str, self.workers)),
                    STOP_TIMEOUT,
                )
                for pid in self.workers:
                    os.kill(pid, signal.SIGKILL)
                failed = True
            time.sleep(0.05)
        return 1 if failed else 0


def _worker(settings: Settings, shared: socket.socket | None) -> int:
    """A forked worker's life; its exit code."""
    from bot.startup import run_service
    from bot.webhook import serve

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        sock = shared or bind(settings.webhook_host, settings.webhook_port, reuse_port=True)
        run_service(serve(settings, sock, set_webhook=False))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BaseException:
        log.exception("Worker %s failed", os.getpid())
        return 1
    finally:
        logging.shutdown()
    return 0
