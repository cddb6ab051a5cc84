"""Tokens: JWT HS256 (the algorithm pinned on decode) and Telegram Mini App initData.

initData is checked as Telegram documents it (core.telegram.org/bots/webapps,
"Validating data received via the Mini App"): secret = HMAC-SHA256("WebAppData",
bot token); hash = hex HMAC-SHA256(secret, the other fields as sorted "key=value"
lines). Written out here because this floor doesn't import aiogram; the tests check it
against aiogram's `check_webapp_signature`.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import jwt

from services.texts import N_

ALGORITHM = "HS256"


class BadToken(Exception):
    """Expired, forged, malformed or of another algorithm."""


def password_mark(secret: str, password_hash: str | None) -> str:
    """What a token holds of the password it was issued under (keyed, so it says nothing
    of the password): a new one (a reset with the bot's /login) voids the tokens issued
    before it, as a stolen token should be."""
    digest = hmac.new(secret.encode(), (password_hash or "").encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def issue(
    secret: str,
    user_id: int,
    role: str,
    ttl_minutes: int,
    now: datetime | None = None,
    password_hash: str | None = None,
) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "role": role,
        "pwd": password_mark(secret, password_hash),
        "iat": now,
        "exp": now + timedelta(minutes=ttl_minutes),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: int
    password_mark: str  # "" in a token from before marks: no password matches it


def read_token(secret: str, token: str) -> Claims:
    """What a valid token says. The role in it is informational: the database's role is
    the one that counts; so is the password (`current`)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise BadToken(str(exc)) from None
    if not 0 < user_id < 2**31:
        raise BadToken("bad subject")
    return Claims(user_id, str(claims.get("pwd", "")))


def current(secret: str, claims: Claims, password_hash: str | None) -> bool:
    """Whether the token was issued under the user's password as it is now."""
    return hmac.compare_digest(claims.password_mark, password_mark(secret, password_hash))


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    signed_at: int = 0  # auth_date: when Telegram signed it, Unix seconds


CLOCK_SKEW = 60  # seconds Telegram's clock may be off from this server's


def telegram_user(
    bot_token: str, init_data: str, max_age: int, now: float | None = None
) -> TelegramProfile:
    """The Telegram user a Mini App's initData vouches for; ValueError when it is not
    signed with this bot's token, is older than `max_age` seconds, or names no user."""
    fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=False))
    given = fields.pop("hash", "")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise ValueError(N_("initData is not signed by this bot"))
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        profile = TelegramProfile(
            id=int(user["id"]),
            first_name=str(user.get("first_name") or "")[:128],
            last_name=(str(user["last_name"])[:128] if user.get("last_name") else None),
            username=(str(user["username"])[:64] if user.get("username") else None),
            language_code=(str(user["language_code"])[:16] if user.get("language_code") else None),
            signed_at=auth_date,
        )
    except (KeyError, ValueError, TypeError, AttributeError):
        raise ValueError(N_("initData names no user")) from None
    now = datetime.now(UTC).timestamp() if now is None else now
    if not now - max_age <= auth_date <= now + CLOCK_SKEW:
        raise ValueError(N_("initData is too old"))
    if not 0 < profile.id < 2**63:
        raise ValueError(N_("initData names no user"))
    return profile


def signed_before(tg: TelegramProfile, password_set_at: datetime | None) -> bool:
    """initData Telegram signed before the user's password was last set: a reset (what a
    user does after a leak) voids it as it voids tokens, not only a day later."""
    if password_set_at is None:
        return False
    if password_set_at.tzinfo is None:  # SQLite gives it back without its zone: UTC
        password_set_at = password_set_at.replace(tzinfo=UTC)
    # A minute's grace, as for an auth_date ahead of us: Telegram's clock and this
    # server's may differ, and a Mini App opened just after /login must get in.
    return tg.signed_at + CLOCK_SKEW < int(password_set_at.timestamp())
