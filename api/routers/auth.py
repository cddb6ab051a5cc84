"""Register, log in with a password or a Telegram Mini App, and who am I."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import Accounts, Caller, Rt, Session, commit
from api.routers import ERRORS
from api.schemas import Error, RegisterIn, TelegramIn, TokenOut, UserOut
from api.security import issue, signed_before, telegram_user
from locales import pick_language
from models import User
from services.accounts import BadCredentials, LockedOut
from services.texts import N_
from services.users import Profile, UserService

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERRORS)


async def _token(rt: Rt, user: User) -> TokenOut:
    if user.is_banned:
        raise HTTPException(status.HTTP_403_FORBIDDEN, N_("This account is banned."))
    secret = await rt.secret()
    ttl, password = rt.config.jwt_ttl_minutes, user.password_hash
    return TokenOut(access_token=issue(secret, user.id, user.role.value, ttl, None, password))


@router.post("/register", status_code=201, response_model=UserOut)
async def register(body: RegisterIn, accounts: Accounts, session: Session) -> User:
    """A new customer with a login and password (at least 8 characters, at most 72 bytes)."""
    user = await accounts.register(body.login, body.password, body.email)
    await commit(session)
    return user


@router.post(
    "/token",
    response_model=TokenOut,
    responses={429: {"model": Error, "description": "Too many failed logins (Retry-After)"}},
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    accounts: Accounts,
    session: Session,
    rt: Rt,
) -> TokenOut:
    """OAuth2 password login. Five failures for one login in 15 minutes lock it for the
    rest of those 15 minutes (429 with Retry-After)."""
    try:
        user = await accounts.authenticate(form.username[:200], form.password[:200])
    except BadCredentials:
        await commit(session)  # the failure counts towards the lockout
        raise
    except LockedOut:
        raise
    await commit(session)
    return await _token(rt, user)


@router.post(
    "/telegram",
    response_model=TokenOut,
    responses={503: {"model": Error, "description": "BOT_TOKEN is not set"}},
)
async def telegram(body: TelegramIn, session: Session, rt: Rt) -> TokenOut:
    """A token for the Telegram user a Mini App's `initData` vouches for (signed with the
    bot's token, at most a day old). A user new to the shop is registered as the bot
    would register them."""
    if rt.config.bot_token is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, N_("Telegram login is not set up.")
        )
    try:
        tg = telegram_user(rt.config.bot_token, body.init_data, rt.config.init_data_max_age)
    except ValueError as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from None
    users = UserService(session)
    found = await users.get_by_telegram_id(tg.id)
    if found is not None and signed_before(tg, found.password_set_at):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            N_("This Telegram login is older than your password: open the app again"),
            headers={"WWW-Authenticate": "Bearer"},
        )
    if found is None:
        profile = Profile(tg.id, tg.username, tg.first_name, tg.last_name, tg.language_code)
        language = pick_language(tg.language_code, rt.config.default_locale)
        found = await users.sync(
            profile, language=language, admin_ids=rt.config.admin_ids, found=None
        )
        await commit(session)
    return await _token(rt, found)


@router.get("/me", response_model=UserOut)
async def me(user: Caller) -> User:
    """The caller: id, login, Telegram id and role, as the database says now."""
    return user
