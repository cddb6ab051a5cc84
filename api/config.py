"""What the API needs of the settings; `bot/__main__.py` builds it from `Settings` (the
API floor doesn't import the bot's shell)."""

from dataclasses import dataclass, field
from decimal import Decimal

from services.payments import CardLimits


@dataclass(frozen=True, slots=True)
class ApiConfig:
    jwt_secret: str | None = None  # None: generated once and kept in the database
    jwt_ttl_minutes: int = 30
    bcrypt_rounds: int = 12
    bot_token: str | None = None  # checks Mini App initData; None: POST /auth/telegram is off
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    max_price: Decimal = Decimal("10000000")
    currency: str = "RUB"  # the shop's: a product's price has its precision (no cents in JPY)
    init_data_max_age: int = 24 * 60 * 60  # seconds
    redis_url: str | None = None  # set: failed logins are counted in Redis
    max_body_bytes: int = 64 * 1024  # a larger request body gets 413 (api.body_limit)
    stars_per_unit: Decimal = Decimal(1)  # what an order costs in Stars, as the bot's invoice
    card_limits: CardLimits = field(default_factory=CardLimits)  # smallest, largest card payment
    default_locale: str = "en"  # a user new to the shop whose language the shop lacks
    cors_origins: tuple[str, ...] = ()  # web pages on other origins that may call the API

    @classmethod
    def from_settings(cls, settings: object) -> "ApiConfig":
        """From a `bot.config.Settings` (duck-typed: this floor doesn't import it)."""

        def secret(value: object) -> str | None:
            text = value.get_secret_value().strip() if value is not None else ""  # type: ignore[attr-defined]
            return text or None

        return cls(
            jwt_secret=secret(settings.jwt_secret),  # type: ignore[attr-defined]
            jwt_ttl_minutes=settings.jwt_ttl_minutes,  # type: ignore[attr-defined]
            bcrypt_rounds=settings.bcrypt_rounds,  # type: ignore[attr-defined]
            bot_token=secret(settings.bot_token),  # type: ignore[attr-defined]
            admin_ids=settings.admin_ids,  # type: ignore[attr-defined]
            max_price=settings.max_price,  # type: ignore[attr-defined]
            currency=settings.currency,  # type: ignore[attr-defined]
            redis_url=settings.redis_url,  # type: ignore[attr-defined]
            max_body_bytes=settings.api_max_body_bytes,  # type: ignore[attr-defined]
            stars_per_unit=settings.stars_per_unit,  # type: ignore[attr-defined]
            card_limits=settings.card_limits,  # type: ignore[attr-defined]
            default_locale=settings.default_locale,  # type: ignore[attr-defined]
            cors_origins=settings.api_cors_origins,  # type: ignore[attr-defined]
        )
