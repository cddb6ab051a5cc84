"""The Python harness of benchmarks/webhook.py: this process posts the presses, through
lean_http's keep-alive connections (`--harness lean`) or aiohttp's client (`aiohttp`),
in a closed loop (`concurrency` in flight) or an open one (`rate` a second). The stub Bot
API then runs in this process too (benchmarks/stub_api.py)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from benchmarks import lean_http
from benchmarks.cpu import Meter


def summary(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [0.0] * 99
    return {
        "updates": len(latencies) + errors,
        "updates_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(q[49], 1),
        "p95_ms": round(q[94], 1),
        "p99_ms": round(q[98], 1),
        "errors": errors,
    }


class Poster:
    """Posts updates to the workers on 127.0.0.1:`port`: through aiohttp's client, or
    through lean_http's keep-alive connections (one per press in flight), which cost the
    shared cores less."""

    def __init__(self, port: int, path: str, headers: dict[str, str], lean: bool) -> None:
        self.port, self.path, self.headers, self.lean = port, path, headers, lean
        self.url = f"http://127.0.0.1:{port}{path}"
        self._idle: list[lean_http.Client] = []
        self.http: aiohttp.ClientSession | None = None

    async def post(self, update: dict[str, Any]) -> tuple[int, bytes]:
        body = json.dumps(update).encode()
        if not self.lean:
            assert self.http is not None
            async with self.http.post(self.url, data=body, headers=self.headers) as r:
                return r.status, await r.read()
        client = self._idle.pop() if self._idle else None
        if client is None:
            client = lean_http.Client("127.0.0.1", self.port, self.path, self.headers)
        answer = await client.post(body)  # a failed or cancelled post: never reused
        self._idle.append(client)
        return answer

    async def measure(
        self,
        press: Callable[[int], dict[str, Any]],
        first: int,
        updates: int,
        concurrency: int,
        rate: float,
        meter: Meter,
        limit: float,
    ) -> dict[str, Any]:
        """300 presses to warm up (ids before `first`), then `updates` measured, for at
        most `limit` seconds: updates/s, latency, errors (presses not answered with the
        button's answer), CPU."""
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as self.http:
            latencies: list[float] = []
            errors = 0
            ids = iter(range(first, first + updates))

            async def post(n: int, start: float) -> None:
                nonlocal errors
                try:
                    status, body = await self.post(press(n))
                except (aiohttp.ClientError, ConnectionError):
                    status, body = 0, b""
                # Every press is answered in the reply; a 200 without one is a failed press
                # (the errors router's apology, or throttled), not a success.
                if status == 200 and b'name="method"' in body:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors += 1

            async def client() -> None:  # closed loop: the next press once one is answered
                for n in ids:
                    await post(n, time.perf_counter())

            async def paced() -> None:  # open loop: `rate` presses a second, come what may
                # At most `concurrency` posts at once, as Telegram opens at most
                # max_connections; the rest wait their turn (at Telegram), and their latency
                # counts from when due.
                slots = asyncio.Semaphore(concurrency)

                async def due_post(n: int, due: float) -> None:
                    async with slots:
                        await post(n, due)

                tasks = []
                began = time.perf_counter()
                for i, n in enumerate(ids):
                    due = began + i / rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    tasks.append(asyncio.create_task(due_post(n, due)))
                await asyncio.gather(*tasks)

            warm = iter(range(first - 300, first))  # warm-up: connections, caches

            async def warm_client() -> None:
                for n in warm:
                    await self.post(press(n))

            await asyncio.gather(*(warm_client() for _ in range(concurrency)))
            meter.start()
            load = paced() if rate else asyncio.gather(*(client() for _ in range(concurrency)))
            await asyncio.wait_for(load, limit)
            measured = meter.stop(len(latencies))
            for idle in self._idle:
                idle.close()
        result = summary(latencies, errors, measured.pop("seconds"))
        return result | measured | {"bot_api_calls_in_replies": len(latencies)}
