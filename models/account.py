"""What the web API keeps besides users: its generated settings and failed logins."""

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AppSetting(Base):
    """A value the application generated for itself and every process must agree on
    (the JWT secret when JWT_SECRET is not set)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """One failed password login: five for one login within the window lock it out."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_login_at", "login", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
