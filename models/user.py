import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin


class Role(enum.StrEnum):
    customer = "customer"
    seller = "seller"
    admin = "admin"


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A user has a Telegram id (the bot's users), an API login, or both. Without a
    # Telegram id the bot can't write to them: such rows are kept `is_active` False, so
    # broadcasts and notifications (which skip inactive users) pass them by.
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str | None] = mapped_column(String(128))
    # What Telegram reports, and what the user chose with /language.
    language_code: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="en")
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, validate_strings=True),
        default=Role.customer,
        index=True,
    )
    is_banned: Mapped[bool] = mapped_column(default=False)
    # The ban notice goes out once; after that a banned user is ignored.
    ban_notified: Mapped[bool] = mapped_column(default=False)
    # False once Telegram says the user blocked the bot; broadcasts skip them.
    is_active: Mapped[bool] = mapped_column(default=True)
    # The /start payload of the very first visit (deep links, referrals).
    start_payload: Mapped[str | None] = mapped_column(String(64))
    # The web API's password login (`api/`, `/login` in the bot); stored lower-case.
    login: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # When the password was last set: a Mini App's initData signed before it is refused
    # (a reset is what a user does after a leak; see api/routers/auth.py).
    password_set_at: Mapped[datetime | None]
    email: Mapped[str | None] = mapped_column(String(254))

    @property
    def full_name(self) -> str:
        return (
            " ".join(p for p in (self.first_name, self.last_name) if p)
            or self.login
            or str(self.telegram_id)
        )

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def is_seller(self) -> bool:
        return self.role in (Role.seller, Role.admin)
