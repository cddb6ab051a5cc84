"""Promo codes: the codes admins create, what each customer has used, and the code a
customer has put on their cart."""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class PromoKind(enum.StrEnum):
    percent = "percent"
    fixed = "fixed"


class PromoCode(Base):
    __tablename__ = "promo_codes"
    __table_args__ = (
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("used >= 0", name="used_not_negative"),
        # The conditional UPDATE that counts a use keeps this; the database holds it too.
        CheckConstraint("total_uses IS NULL OR used <= total_uses", name="used_within_total"),
        CheckConstraint("per_customer > 0", name="per_customer_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # upper case
    kind: Mapped[PromoKind] = mapped_column(
        Enum(PromoKind, native_enum=False, length=16, validate_strings=True)
    )
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # percent, or an amount
    min_order: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    expires_at: Mapped[datetime | None]
    total_uses: Mapped[int | None]  # None: no limit
    used: Mapped[int] = mapped_column(default=0)
    per_customer: Mapped[int] = mapped_column(default=1)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromoRedemption(Base):
    """One counted use: a customer's n-th use of a code (n within per_customer, unique,
    so two racing uses by one customer can't both be the n-th), for one order."""

    __tablename__ = "promo_redemptions"
    __table_args__ = (UniqueConstraint("promo_id", "user_id", "n"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    promo_id: Mapped[int] = mapped_column(ForeignKey("promo_codes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    n: Mapped[int]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CartPromo(Base):
    """The code a customer entered in their cart (one per cart)."""

    __tablename__ = "cart_promos"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    promo_id: Mapped[int] = mapped_column(ForeignKey("promo_codes.id", ondelete="CASCADE"))
