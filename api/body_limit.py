"""The limit on a request's body: past `max_bytes` the client gets 413 with the API's
usual `{"detail": ...}`, and what is over the limit is never read into memory.

A small ASGI middleware of our own, because nothing we may rely on does it: uvicorn
limits headers only (`h11_max_incomplete_event_size`); Starlette gained a body limit in
1.6 and FastAPI in 0.164 (`FastAPI(max_body_size=...)`), far above the lowest versions
this project supports and tests (pyproject.toml), and FastAPI's answers a body declared
too large in plain text on a route that doesn't read it. This is the usual pattern: a
declared Content-Length over the limit is refused before the app runs (no session, no
token check); a body without one (chunked) is counted as it arrives and refused once it
passes. Once the lower bound reaches fastapi 0.164, `max_body_size` can replace this.
"""

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from locales import accept_language, translations
from services.texts import N_

TOO_LARGE = N_("The request body is too large: at most {limit} bytes.")


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the body passes the limit. A Starlette HTTPException,
    so a route reading its body lets it through (FastAPI re-raises those while parsing)
    and it is answered as any: 413, `{"detail": ...}`."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, TOO_LARGE.format(limit=limit))
        self.limit = limit

    def say(self, gettext: Callable[[str], str]) -> str:
        return gettext(TOO_LARGE).format(limit=self.limit)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, default_locale: str = "en") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            await self._refuse(BodyTooLarge(self.max_bytes), scope, receive, send)
            return
        read = 0
        started = False

        async def counted() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # raised where no handler turned it into a response
            if started:
                raise
            await self._refuse(exc, scope, receive, send)

    async def _refuse(self, exc: BodyTooLarge, scope: Scope, receive: Receive, send: Send) -> None:
        """Said before the app runs: in the language Accept-Language asks for."""
        asked = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
        lang = accept_language(asked, self.default_locale)
        body = {"detail": exc.say(translations(lang).gettext)}
        answer = JSONResponse(body, exc.status_code, {"Content-Language": lang})
        await answer(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    """The Content-Length header's value; -1 when there is none (or it is not a number,
    which the HTTP server refuses before we see it)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return -1
