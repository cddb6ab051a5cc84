"""The FastAPI application: routers, and every refusal as JSON with its status.

Domain errors from the services map to statuses here, one table; request validation
names the field and never echoes the input (it may be a password).
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.body_limit import BodyLimit, BodyTooLarge
from api.config import ApiConfig
from api.deps import CONFLICTS, Runtime, refused_by_database
from api.photos import PhotoSource
from api.routers import auth, categories, orders, permission, products, reviews
from api.schemas import Refused
from api.validation_texts import explain
from locales import accept_language, translations
from services.accounts import BadCredentials, LockedOut, LoginTaken
from services.errors import DomainError, InvalidInput, NotAllowed, NotFound, NotSaved

log = logging.getLogger("api")

TAGS = [
    {"name": "auth", "description": "Register, log in (password or Telegram), who am I."},
    {"name": "category", "description": "The category tree; admins manage it."},
    {"name": "products", "description": "The catalog; sellers manage their products."},
    {"name": "reviews", "description": "One review per customer and product."},
    {"name": "permission", "description": "Admins set roles."},
    {"name": "orders", "description": "Orders placed in the bot."},
]

# Most specific first: the first class the error is an instance of wins.
STATUS: list[tuple[type[DomainError], int]] = [
    (LockedOut, 429),
    (BadCredentials, 401),
    (LoginTaken, 409),
    (NotFound, 404),
    (NotAllowed, 403),
    (InvalidInput, 422),
    (NotSaved, 409),
    (DomainError, 409),
]


def create_app(
    pool: async_sessionmaker[AsyncSession], config: ApiConfig, photos: PhotoSource | None = None
) -> FastAPI:
    """`photos`: where product photos come from (`bot.photos.TelegramPhotos`); None: 503."""
    runtime = Runtime(pool, config, photos)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await runtime.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Storefront API",
        version="1.0",
        description="The shop's catalog, reviews, roles and orders: the bot's rules over HTTP.",
        openapi_tags=TAGS,
    )
    app.state.runtime = runtime
    app.add_middleware(
        BodyLimit, max_bytes=config.max_body_bytes, default_locale=config.default_locale
    )
    if config.cors_origins:  # Bearer tokens, no cookies: no credentials to allow
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
            # What a page's script may read: the lockout's wait, a photo's tag, why a 401.
            expose_headers=["Retry-After", "ETag", "WWW-Authenticate", "Content-Language"],
        )
    for module in (auth, categories, products, reviews, permission, orders):
        app.include_router(module.router)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for conflict in CONFLICTS:
        app.add_exception_handler(conflict, _database_error)
    return app


async def _database_error(request: Request, exc: Exception) -> Response:
    """A write refused before the commit, answered as a refused commit is (the session,
    closed with the request, is rolled back): a constraint at a service's flush (two
    requests creating one slug at once), or a row another request deleted meanwhile
    (an edit racing a delete). Any other database error stays a 500."""
    assert isinstance(exc, CONFLICTS)
    log.warning("A request's write lost a race: %s", getattr(exc, "orig", exc))
    return await _http_error(request, refused_by_database(exc))


def _language(request: Request) -> str:
    """The answer's language: the one `Accept-Language` prefers of the shop's (a Mini
    App sends Telegram's `language_code`), else the shop's DEFAULT_LOCALE."""
    default = request.app.state.runtime.config.default_locale
    return accept_language(request.headers.get("accept-language"), default)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    code = next(code for cls, code in STATUS if isinstance(exc, cls))
    lang = _language(request)
    catalog = translations(lang)
    message = exc.render(catalog.gettext, catalog.ngettext)
    headers = {"Content-Language": lang}
    if isinstance(exc, LockedOut):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, BadCredentials):
        headers["WWW-Authenticate"] = "Bearer"
    if code == 422:  # the shape of a validation error, the field unknown to the service
        error = {"loc": ["body"], "field": "body", "msg": message, "type": "invalid_input"}
        body = {"detail": [error]}
        return JSONResponse(body, code, headers)
    return JSONResponse({"detail": message}, code, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """A refusal the API itself raised (HTTPException): its text in the caller's
    language when the catalogs have it (the API's own texts are marked with N_)."""
    assert isinstance(exc, StarletteHTTPException)
    if not isinstance(exc.detail, str):
        return await http_exception_handler(request, exc)
    lang = _language(request)
    gettext = translations(lang).gettext
    detail = exc.say(gettext) if isinstance(exc, BodyTooLarge) else gettext(exc.detail)
    headers = {**(exc.headers or {}), "Content-Language": lang}
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=headers)
    return JSONResponse({"detail": detail}, exc.status_code, headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = _language(request)
    catalog = translations(lang)
    errors = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        field = ".".join(p for p in loc if p not in ("body", "query", "path", "header"))
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, Refused):  # a service's words: in the caller's language
            msg = cause.refusal.render(catalog.gettext, catalog.ngettext)
        else:  # pydantic's own, translated where api.validation_texts has it
            msg = explain(error, catalog.gettext, catalog.ngettext) or str(
                error.get("msg", "invalid")
            ).removeprefix("Value error, ")
        errors.append(
            {
                "loc": loc,
                "field": field or (loc[0] if loc else "request"),
                "msg": f"{field}: {msg}" if field else msg,
                "type": str(error.get("type", "value_error")),
            }
        )
    return JSONResponse({"detail": errors}, 422, {"Content-Language": lang})
