"""Just enough HTTP/1.1 for the load benchmarks' own side: a keep-alive client that posts
JSON, and a server loop for the stub Bot API. On two shared cores every millisecond the
measuring side spends is one the workers under test do not get: with these instead of
aiohttp's client and server it spends 0.3-0.4 ms an update instead of 0.7-0.9 (JSON and
the stub's answers included). They speak only what the
two ends in these benchmarks send (Content-Length or chunked bodies, no pipelining
beyond one request at a time per connection); the bot itself keeps aiohttp."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

Answer = Callable[[str, dict[str, str]], Awaitable[tuple[int, bytes]]]


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> bytes:
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return await reader.readexactly(length or 0)
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


class Client:
    """One keep-alive connection: `post` sends a JSON body and returns (status, body)."""

    def __init__(self, host: str, port: int, path: str, headers: dict[str, str]) -> None:
        self.address = (host, port)
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\n{extra}Content-Length: "
        ).encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(*self.address)
        reader, writer = self._streams
        try:
            writer.write(b"%s%d\r\n\r\n%s" % (self._head, len(body), body))
            head = await reader.readuntil(b"\r\n\r\n")
            answer = await _read_body(reader, head)
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            self.close()
            raise ConnectionError("the connection broke") from None
        if b"connection: close" in head.lower():
            self.close()
        return int(head[9:12]), answer

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def serve(answer: Answer, host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
    """A server calling `answer(last path segment, form fields)` for each POST."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                body = await _read_body(reader, head)
                target = head.split(b" ", 2)[1].decode()
                params = dict(parse_qsl(body.decode())) if body else {}
                status, payload = await answer(target.rsplit("/", 1)[-1], params)
                writer.write(
                    b"HTTP/1.1 %d -\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (status, len(payload), payload)
                )
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # the loop is closing: the connection ends here
            pass
        finally:
            writer.close()

    return await asyncio.start_server(connection, host, port)
