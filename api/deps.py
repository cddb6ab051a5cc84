"""Per-request plumbing: the database session, the JWT secret, the calling user.

The caller's role and ban are read from the database on every request: a role changed
or a ban set in the bot takes effect on the API's next request, whatever the token says.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from api.config import ApiConfig
from api.photos import Photos, PhotoSource
from api.schemas import Refused
from api.security import BadToken, current, read_token
from models import Role, User
from services.accounts import AccountService, Hasher, app_secret
from services.errors import DomainError, InvalidInput, NotFound
from services.login_failures import DbFailures, FailureLog, RedisFailures
from services.texts import N_

log = logging.getLogger("api")

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


class Runtime:
    """What the app holds between requests: the session pool, the config, the hasher,
    and the JWT secret once known."""

    def __init__(
        self,
        pool: async_sessionmaker[AsyncSession],
        config: ApiConfig,
        photos: PhotoSource | None = None,
    ) -> None:
        self.pool = pool
        self.config = config
        self.hasher = Hasher.bcrypt(config.bcrypt_rounds)
        self._secret = config.jwt_secret
        self._lock = asyncio.Lock()
        self.photos = Photos(photos)
        self.redis = None
        if config.redis_url:
            from redis.asyncio import Redis

            self.redis = Redis.from_url(config.redis_url)

    async def close(self) -> None:
        await self.photos.close()
        if self.redis is not None:
            await self.redis.aclose()

    def failures(self, session: AsyncSession) -> FailureLog:
        """Where failed logins are counted: Redis when configured, else the database."""
        if self.redis is not None:
            return RedisFailures(self.redis)
        return DbFailures(session, self.pool)  # each attempt committed at once

    async def secret(self) -> str:
        if self._secret is None:
            async with self._lock:
                if self._secret is None:
                    async with self.pool() as session, session.begin():
                        secret, generated = await app_secret(session)
                    if generated:
                        log.info("JWT_SECRET is not set: generated one, kept in the database")
                    self._secret = secret
        return self._secret


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def session(rt: Annotated[Runtime, Depends(runtime)]) -> AsyncIterator[AsyncSession]:
    async with rt.pool() as s:
        yield s


Session = Annotated[AsyncSession, Depends(session)]
Rt = Annotated[Runtime, Depends(runtime)]


# A write another request's won: a constraint said no, or the row was deleted meanwhile.
CONFLICTS = (IntegrityError, StaleDataError)


def refused_by_database(exc: Exception) -> HTTPException:
    """A race another request won (`CONFLICTS`) or a database that refused the write: a
    409 the client may retry, not a 500."""
    if isinstance(exc, CONFLICTS):
        detail = N_("That conflicts with a change made at the same time.")
    else:
        detail = N_("That could not be saved; try again.")
    return HTTPException(status.HTTP_409_CONFLICT, detail)


async def commit(session: AsyncSession) -> None:
    """Commits the request's writes (a refusal: `refused_by_database`)."""
    try:
        await session.commit()
    except (DBAPIError, StaleDataError) as exc:
        await session.rollback()
        raise refused_by_database(exc) from None


@contextmanager
def about(field: str, *, missing: bool = False) -> Iterator[None]:
    """A service's refusal of one body field: a 422 naming it, as request validation
    does. `missing`: the field is an id, and its NotFound is the field's fault too (a
    404 would say the resource in the URL is gone); otherwise a NotFound (the URL's
    resource deleted meanwhile) stays a 404."""
    try:
        yield
    except (InvalidInput, NotFound) as exc:
        if isinstance(exc, NotFound) and not missing:
            raise
        raise refused_field(field, exc) from None


def refused_field(field: str, exc: DomainError, kind: str = "invalid_input") -> Exception:
    """A 422 on a body field, as request validation gives one, its message the
    service's (said in the caller's language by `api.app`)."""
    error = {"loc": ("body", field), "msg": str(exc), "type": kind, "ctx": {"error": Refused(exc)}}
    return RequestValidationError([error])


def unauthorized(detail: str = N_("Not authenticated")) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def optional_user(
    rt: Rt, session: Session, token: Annotated[str | None, Depends(oauth2)]
) -> User | None:
    if token is None:
        return None
    secret = await rt.secret()
    try:
        claims = read_token(secret, token)
    except BadToken:
        raise unauthorized(N_("The token is invalid or expired")) from None
    user = await session.get(User, claims.user_id)
    if user is None:
        raise unauthorized(N_("The token's user no longer exists"))
    if not current(secret, claims, user.password_hash):
        raise unauthorized(N_("The password has changed since this token was issued: log in again"))
    if user.is_banned:
        raise HTTPException(status.HTTP_403_FORBIDDEN, N_("This account is banned."))
    return user


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise unauthorized()
    return user


async def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role is not Role.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, N_("Admins only."))
    return user


def accounts(rt: Rt, session: Session) -> AccountService:
    return AccountService(session, rt.hasher, rt.failures(session))


Caller = Annotated[User, Depends(current_user)]
MaybeCaller = Annotated[User | None, Depends(optional_user)]
Admin = Annotated[User, Depends(admin_user)]
Accounts = Annotated[AccountService, Depends(accounts)]
