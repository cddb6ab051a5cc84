"""Password accounts: the web API's logins, shared by the bot's /login dialog.

A user is one row of `users` whatever door they came in by: a login and password, a
Telegram id, or both. Passwords are hashed with bcrypt through libpass's CryptContext
(off the event loop: a hash takes a quarter of a second at the default cost). Failed
logins are kept in the database, so a lockout holds across processes.
"""

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from passlib.context import CryptContext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.sql import insert_new
from models import AppSetting, LoginFailure, Role, User
from models.base import utcnow
from services.errors import DomainError, InvalidInput, NotAllowed
from services.login_failures import DbFailures, FailureLog
from services.texts import N_

LOGIN_MIN, LOGIN_MAX = 3, 64
PASSWORD_MIN = 8
PASSWORD_MAX_BYTES = 72  # bcrypt reads no further; a longer password is refused, not cut
EMAIL_MAX = 254
MAX_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
_LOGIN = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
JWT_SECRET_KEY = "jwt_secret"


class LoginTaken(DomainError):
    message = N_("This login is already taken.")


class BadCredentials(DomainError):
    message = N_("Wrong login or password.")


class LockedOut(DomainError):
    message = N_("Too many failed logins: try again in {minutes} min.")

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(minutes=max(1, -(-retry_after // 60)))


def clean_login(text: str) -> str:
    login = text.strip().lower()
    if not LOGIN_MIN <= len(login) <= LOGIN_MAX or not _LOGIN.fullmatch(login):
        raise InvalidInput(
            N_(
                "A login is 3 to 64 characters: latin letters, digits, '_', '.' and '-', "
                "starting with a letter or digit."
            )
        )
    return login


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate: not text anyone typed
        return False
    return "\x00" not in text


def check_password(password: str) -> str:
    if not _encodable(password):
        raise InvalidInput(N_("The password can't contain a NUL character."))
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(N_("The password must be at least 8 characters long."))
    if len(password.encode()) > PASSWORD_MAX_BYTES:
        raise InvalidInput(
            N_("The password can be at most 72 bytes long (fewer letters in Cyrillic).")
        )
    return password


def clean_email(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    email = text.strip()
    if len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email):
        raise InvalidInput(N_("That doesn't look like an email address."))
    return email


@dataclass(frozen=True, slots=True)
class Hasher:
    """bcrypt at a cost; tests use the lowest (4), production 12."""

    context: CryptContext

    @classmethod
    def bcrypt(cls, rounds: int = 12) -> "Hasher":
        return cls(CryptContext(schemes=["bcrypt"], bcrypt__rounds=rounds))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.context.hash, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        if hashed is None:
            # As slow as a real check: a missing login can't be told from a wrong password.
            await asyncio.to_thread(self.context.dummy_verify)
            return False
        return await asyncio.to_thread(self.context.verify, password, hashed)


class AccountService:
    def __init__(
        self, session: AsyncSession, hasher: Hasher, failures: FailureLog | None = None
    ) -> None:
        self.session = session
        self.hasher = hasher
        self.failures_log = failures or DbFailures(session)

    async def by_login(self, login: str) -> User | None:
        try:
            login = clean_login(login)
        except InvalidInput:
            return None
        return await self.session.scalar(select(User).where(User.login == login))

    async def register(self, login: str, password: str, email: str | None = None) -> User:
        """A new customer with a password and no Telegram id."""
        login = clean_login(login)
        check_password(password)
        email = clean_email(email)
        if await self.by_login(login) is not None:
            raise LoginTaken()
        user = User(
            login=login,
            password_hash=await self.hasher.hash(password),
            password_set_at=utcnow(),
            email=email,
            role=Role.customer,
            # No Telegram id: the bot can't reach them (broadcasts, notices skip them).
            is_active=False,
        )
        try:
            async with self.session.begin_nested():  # two registering one login at once
                self.session.add(user)
        except IntegrityError:
            raise LoginTaken() from None
        return user

    async def set_password(self, user: User, login: str, password: str) -> User:
        """Sets (or resets) a user's login and password, e.g. a Telegram user's from /login."""
        login = clean_login(login)
        check_password(password)
        if user.is_banned:
            raise NotAllowed()
        other = await self.by_login(login)
        if other is not None and other.id != user.id:
            raise LoginTaken()
        password_hash = await self.hasher.hash(password)
        try:
            async with self.session.begin_nested():  # another takes the login meanwhile
                user.login, user.password_hash = login, password_hash
                user.password_set_at = utcnow()
        except IntegrityError:
            raise LoginTaken() from None
        return user

    async def authenticate(self, login: str, password: str, now: datetime | None = None) -> User:
        """The user with this login and password; `LockedOut` after five failures for
        the login in 15 minutes (checked first, so a locked login costs no bcrypt);
        `BadCredentials` otherwise. A success clears the login's failures."""
        now = now or utcnow()
        # Failures count against the login as stored, so no other spelling of it (spaces
        # around, capitals) gets guesses of its own. Text that is no login can match no
        # account: it is counted under itself (a NUL or a lone surrogate can't be stored).
        try:
            key = clean_login(login)
        except InvalidInput:
            key = login.strip().lower()
            if not _encodable(key):
                key = key.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\0")
            key = "?" + key[: LOGIN_MAX - 1]  # never a login: finds no one
        # The attempt counts first, as a failure, and is seen by every other request at
        # once: of many guesses sent together, no more than MAX_FAILURES get checked.
        log = self.failures_log
        attempt = await log.add(key, now, LOCKOUT_WINDOW)
        recent = await log.recent(key, now - LOCKOUT_WINDOW, MAX_FAILURES + 1)
        if len(recent) > MAX_FAILURES:
            await log.discard(key, attempt)  # a refused attempt doesn't prolong the lock
            retry = (recent[MAX_FAILURES] + LOCKOUT_WINDOW - now).total_seconds()
            raise LockedOut(max(1, int(retry) + 1))
        user = await self.by_login(key)
        ok = _encodable(password) and len(password.encode()) <= PASSWORD_MAX_BYTES
        ok = await self.hasher.verify(password, user.password_hash if user and ok else None) and ok
        if not ok or user is None:
            raise BadCredentials()  # the attempt stays a failure
        await self.failures_log.clear(key)
        return user

    async def failures(self, login: str) -> int:
        return (
            await self.session.scalar(
                select(func.count()).where(LoginFailure.login == login.strip().lower())
            )
            or 0
        )


async def app_secret(session: AsyncSession, key: str = JWT_SECRET_KEY) -> tuple[str, bool]:
    """A secret the application generated once and keeps in the database, so restarts
    and other processes agree; True when this call generated it. Two processes starting
    at once both end up with the one that was stored first."""
    value = await session.scalar(select(AppSetting.value).where(AppSetting.key == key))
    if value is not None:
        return value, False
    fresh = secrets.token_urlsafe(48)
    stmt = insert_new(
        session, AppSetting.__table__, {"key": key, "value": fresh, "created_at": utcnow()}, ["key"]
    )
    await session.execute(stmt)
    value = await session.scalar(select(AppSetting.value).where(AppSetting.key == key))
    assert value is not None
    return value, value == fresh
