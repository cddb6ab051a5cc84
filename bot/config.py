"""Settings from environment variables or a `.env` file."""

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from babel.numbers import get_currency_precision
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from locales import LANGUAGES
from models.base import MONEY_MAX
from services.payments import CardLimits, provider_maximum, provider_minimum

# Relative: the file lands in the directory the bot is started from.
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///storefront.db"
JWT_SECRET_MIN = 32  # characters: HS256 wants a key of 256 bits


# The URL schemes each service URL setting takes, the one to suggest first.
SCHEMES = {"telegram_api_url": ("http", "https"), "redis_url": ("redis", "rediss", "unix")}


class ConfigError(Exception):
    """Start-up cannot go on; the message is one line meant for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_url: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    redis_url: str | None = None
    log_level: str = "INFO"
    default_locale: str = "en"
    currency: str = "RUB"
    # Updates one user may send per second before the bot starts dropping them; 0 turns it off.
    throttle_rate: float = Field(default=3.0, ge=0)
    throttle_burst: int = Field(default=8, ge=1)
    page_size: int = Field(default=8, ge=1, le=50)
    max_price: Decimal = Field(default=Decimal("10000000"), gt=0, le=MONEY_MAX)
    # Broadcast: messages a second (Telegram allows about 30; 0 turns the limiter off),
    # recipients claimed per transaction, sends in flight at once, progress edit period.
    broadcast_rate: float = Field(default=25.0, ge=0)
    broadcast_batch_size: int = Field(default=50, ge=1, le=1000)
    broadcast_concurrency: int = Field(default=8, ge=1, le=100)
    broadcast_progress_interval: float = Field(default=3.0, gt=0)
    # Orders and payments (see README, "Orders and payments").
    # stars: Telegram Stars invoices; provider: a payment provider's token (physical goods);
    # cod: paid on delivery, no invoice.
    payment_method: Literal["stars", "provider", "cod"] = "cod"
    payment_provider_token: SecretStr | None = None
    # Stars charged per unit of `currency`: an order of 12.30 at 1.5 costs ceil(18.45) = 19 XTR.
    stars_per_unit: Decimal = Field(default=Decimal("1"), gt=0)
    # The smallest total a provider (card) invoice may have, in `currency`: Telegram refuses
    # less (about US$1). Unset: a built-in figure for USD, EUR, GBP, RUB, UAH, KZT
    # (services/payments.py), else none. Checkout refuses a smaller total before ordering.
    provider_min_amount: Decimal | None = Field(default=None, gt=0)
    # The largest, likewise (Telegram refuses more: about US$10,000).
    provider_max_amount: Decimal | None = Field(default=None, gt=0)
    pickup_available: bool = False
    # Unpaid Stars / provider orders hold their stock this long; cash-on-delivery orders
    # wait this long for the seller to ship them. Then they are cancelled and the stock
    # returns (README, "Orders and payments"). 0: held until someone acts.
    reservation_minutes: int = Field(default=30, ge=0, le=7 * 24 * 60)
    cod_confirm_hours: int = Field(default=48, ge=0, le=365 * 24)
    # The web API (`python -m bot api`, see README "Web API").
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    # A larger request body gets 413 unread. The largest the API takes (a product with a
    # 1,000-character description) is a few KiB.
    api_max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Web pages on other origins that may call the API from a browser (a Mini App served
    # from its own site): origins separated by commas, or *. Unset: the same origin only.
    api_cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # Unset: one is generated and kept in the database, so every process agrees.
    jwt_secret: SecretStr | None = None
    jwt_ttl_minutes: int = Field(default=30, ge=1, le=60 * 24 * 30)
    # bcrypt's cost (2^n rounds); tests use 4.
    bcrypt_rounds: int = Field(default=12, ge=4, le=31)
    # Webhook mode (`python -m bot webhook`; README, "Running at scale").
    webhook_url: str | None = None  # the public base, e.g. https://shop.example.com
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None  # X-Telegram-Bot-Api-Secret-Token
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8081, ge=1, le=65535)
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    workers: int = Field(default=1, ge=1, le=64)
    # PostgreSQL connections each process keeps open, and how many more it may open at a
    # busy moment (closed again once idle). A pool smaller than the updates in flight
    # opens and closes connections all the time, each costing the server a process.
    # Unset: each worker's share of WEBHOOK_MAX_CONNECTIONS (Telegram sends no more
    # updates at once) plus 5 for its background jobs. WORKERS x (both) must stay under
    # the server's max_connections.
    db_pool_size: int | None = Field(default=None, ge=1, le=500)
    db_max_overflow: int = Field(default=10, ge=0, le=500)

    @property
    def pool_size(self) -> int:
        if self.db_pool_size is not None:
            return self.db_pool_size
        return -(-self.webhook_max_connections // self.workers) + 5

    # Seconds a broadcast's sender holds its lease without renewing it; a dead sender's
    # broadcast is taken over by another worker within about this long.
    broadcast_lease: float = Field(default=30.0, gt=0)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, int):
            return frozenset({value})
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                value = frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("Telegram ids separated by commas, e.g. 123456789") from None
        if isinstance(value, frozenset | set) and any(i <= 0 for i in value):
            # A user's id is above 0 (groups and channels are below); 0 is nobody.
            raise ValueError("a user's Telegram id is a number above 0")
        return value

    @field_validator("api_cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
        for origin in origins:
            if origin == "*":  # any page
                continue
            parts = urlsplit(origin)
            if not (parts.scheme in ("http", "https") and parts.netloc):
                raise ValueError(f"{origin!r} is not an origin such as https://shop.example.com")
            if parts.path or parts.query:
                raise ValueError(
                    f"{origin!r}: an origin has no path; write {parts.scheme}://{parts.netloc}"
                )
        return origins

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        examples = "sqlite+aiosqlite:///storefront.db or postgresql+asyncpg://user:password@host/db"
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"not a database URL; write e.g. {examples}") from None
        drivers = {
            "sqlite": "sqlite+aiosqlite",
            "postgresql": "postgresql+asyncpg",
            "postgres": "postgresql+asyncpg",  # as Heroku and others write it
        }
        wanted = drivers.get(url.get_backend_name())
        if wanted is None:
            raise ValueError(f"only SQLite and PostgreSQL are supported; write e.g. {examples}")
        if url.drivername != wanted:
            fixed = url.set(drivername=wanted).render_as_string(hide_password=True)
            raise ValueError(f"the bot needs the async driver; write {fixed}")
        if url.host and "@" in url.host:  # the password's @ read as the host's start
            raise ValueError("write an @ in the password as %40 (the URL's own @ comes once)")
        if "sslmode" in url.query:  # libpq's word; asyncpg takes ssl=
            raise ValueError(f"asyncpg takes ssl={url.query['sslmode']}, not sslmode=")
        if wanted == "sqlite+aiosqlite" and (url.host or url.database in (None, "", ":memory:")):
            # sqlite+aiosqlite://shop.db reads "shop.db" as a host (a traceback later);
            # without a file, nothing the shop does is kept.
            file = url.host or url.database or "storefront.db"
            if file == ":memory:":
                file = "storefront.db"
            raise ValueError(f"the database is a file: write sqlite+aiosqlite:///{file}")
        return value

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        from babel.numbers import list_currencies

        code = value.strip().upper()
        if code not in list_currencies():
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. RUB, USD, EUR)")
        return code

    @field_validator("default_locale")
    @classmethod
    def _shipped_locale(cls, value: str) -> str:
        code = value.strip().lower()
        if code not in LANGUAGES:
            raise ValueError(f"must be one of the shipped languages: {', '.join(LANGUAGES)}")
        return code

    @field_validator("telegram_api_url", "redis_url", "webhook_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        """A short HS256 key is guessed offline from any token the API hands out, and
        then admins' tokens are forged; unset, a strong one is generated."""
        text = value.get_secret_value().strip() if value is not None else ""
        if not text:
            return None
        if len(text) < JWT_SECRET_MIN:
            raise ValueError(
                f"at least {JWT_SECRET_MIN} characters (a short key can be guessed from any "
                "token); leave it unset to have one generated"
            )
        return value

    @field_validator("payment_provider_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        """An uncommented `PAYMENT_PROVIDER_TOKEN=` is no token (and is refused with
        PAYMENT_METHOD=provider), not an empty one sent with every invoice."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url", "redis_url")
    @classmethod
    def _service_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A URL with its scheme and host, checked here: a malformed one failed later
        with a traceback, or an error that printed the bot token."""
        if value is None:
            return value
        schemes = SCHEMES[info.field_name or ""]
        parts = urlsplit(value.strip())
        if parts.scheme not in schemes or not (parts.hostname or parts.scheme == "unix"):
            raise ValueError(f"must be a URL such as {schemes[0]}://host:port")
        try:
            parts.port  # noqa: B018  (raises on a port out of range)
        except ValueError:
            raise ValueError("its port is not a port number (1-65535)") from None
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @model_validator(mode="after")
    def _provider_needs_token(self) -> "Settings":
        if self.payment_method == "provider" and self.payment_provider_token is None:
            raise ValueError("PAYMENT_METHOD=provider needs PAYMENT_PROVIDER_TOKEN")
        return self

    @model_validator(mode="after")
    def _card_limits_make_sense(self) -> "Settings":
        """With card payments: each limit set in the currency's units (no cents in JPY),
        and the largest above the smallest, whichever of them is built in."""
        if self.payment_method != "provider":
            return self
        places = get_currency_precision(self.currency)
        for name in ("provider_min_amount", "provider_max_amount"):
            value = getattr(self, name)
            if value is not None and value != round(value, places):
                raise ValueError(
                    f"{name.upper()}={value}: {self.currency} amounts have {places} decimal places"
                )
        smallest = provider_minimum(self.currency, self.provider_min_amount)
        largest = provider_maximum(self.currency, self.provider_max_amount)
        if largest is not None and largest <= smallest:
            built_in = f"built in for {self.currency}"
            max_is = "PROVIDER_MAX_AMOUNT" if self.provider_max_amount else built_in
            min_is = "PROVIDER_MIN_AMOUNT" if self.provider_min_amount else built_in
            raise ValueError(
                f"the largest card payment ({largest}, {max_is}) must be above the smallest "
                f"({smallest}, {min_is})"
            )
        return self

    @property
    def card_limits(self) -> CardLimits:
        return CardLimits(self.provider_min_amount, self.provider_max_amount)

    @field_validator("webhook_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or value in {"/healthz", "/metrics"}:
            raise ValueError("must start with / and not be /healthz or /metrics")
        return value

    def require_webhook(self) -> tuple[str, str]:
        """The public URL Telegram posts to and the secret, or `ConfigError`; several
        WORKERS share their state, so they need PostgreSQL and Redis (checked here, for
        webhook mode only: a WORKERS left in .env doesn't stop a backup or polling)."""
        if self.workers > 1 and make_url(self.database_url).get_backend_name() == "sqlite":
            raise ConfigError(
                f"WORKERS={self.workers} (webhook mode, `python -m bot webhook`) needs "
                "PostgreSQL: a SQLite file serves one process"
            )
        if self.workers > 1 and not self.redis_url:
            raise ConfigError(
                f"WORKERS={self.workers} needs REDIS_URL: workers share dialog state, "
                "locks and throttling there"
            )
        if not self.webhook_url:
            raise ConfigError(
                "WEBHOOK_URL is not set: the public https:// base Telegram posts updates to"
            )
        if not self.webhook_url.startswith("https://"):
            raise ConfigError("WEBHOOK_URL must start with https:// (Telegram posts only there)")
        parts = urlsplit(self.webhook_url)
        if not parts.hostname:
            raise ConfigError("WEBHOOK_URL names no host: write https://shop.example.com")
        if parts.query or parts.fragment or "?" in self.webhook_url or "#" in self.webhook_url:
            raise ConfigError(
                "WEBHOOK_URL is the public base, without ?query or #fragment: the bot adds "
                "WEBHOOK_PATH to it"
            )
        path = self.webhook_path.rstrip("/")
        if path and self.webhook_url.rstrip("/").endswith(path):
            raise ConfigError(
                f"WEBHOOK_URL is the public base, without WEBHOOK_PATH ({self.webhook_path}): "
                "the bot adds it"
            )
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not secret:
            raise ConfigError("WEBHOOK_SECRET is not set: 1-256 characters A-Z, a-z, 0-9, _ and -")
        if len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
            raise ConfigError("WEBHOOK_SECRET: 1-256 characters A-Z, a-z, 0-9, _ and - only")
        return self.webhook_url.rstrip("/") + self.webhook_path, secret

    def require_token(self) -> str:
        """The token, checked for shape; `ConfigError` when it can't be used."""
        from aiogram.utils.token import TokenValidationError, validate_token

        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError("BOT_TOKEN is not set: put the token from @BotFather in .env")
        token = self.bot_token.get_secret_value().strip()
        try:
            validate_token(token)
        except TokenValidationError:
            raise ConfigError(
                "BOT_TOKEN is malformed: expected '<digits>:<secret>' as @BotFather gives it"
            ) from None
        return token


def load_settings(**overrides: object) -> Settings:
    """Settings, with validation errors turned into one readable line."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper()
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{field}: {message}" if field else message) from None


def unknown_env_file_keys(path: str = ".env") -> list[str]:
    """Lines of the .env file the settings don't read, each with the setting it may be
    a misspelling of: 'DATABSE_URL (DATABASE_URL?)'. A misspelled DATABASE_URL used to go
    unnoticed while the shop opened a new, empty database."""
    import difflib

    from dotenv import dotenv_values

    names = [name.upper() for name in Settings.model_fields]
    unknown = []
    for key in dotenv_values(path) if Path(path).is_file() else {}:
        if key.upper() in names:
            continue
        near = difflib.get_close_matches(key.upper(), names, n=1, cutoff=0.8)
        unknown.append(f"{key} ({near[0]}?)" if near else key)
    return unknown
