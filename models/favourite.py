"""Favourites and back-in-stock alerts: what a customer keeps an eye on."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Favourite(Base):
    """A product on a customer's favourites list (one row per customer and product)."""

    __tablename__ = "favourites"
    __table_args__ = (
        # The list, newest first: WHERE user_id = ? ORDER BY created_at DESC.
        Index("ix_favourites_user_listing", "user_id", "created_at"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertStatus(enum.StrEnum):
    """A back-in-stock subscription's life: waiting for stock; due (stock came back, the
    message is owed); sending (claimed by the sender); then consumed: sent, blocked (the
    customer blocked the bot) or failed. Subscribing again makes it waiting."""

    waiting = "waiting"
    due = "due"
    sending = "sending"
    sent = "sent"
    blocked = "blocked"
    failed = "failed"


ACTIVE_ALERT = (AlertStatus.waiting, AlertStatus.due, AlertStatus.sending)


class RestockAlert(Base):
    """ "Notify me when it's back": one row per customer and product. The row is also the
    durable send queue: a restart finds the due ones and sends each once."""

    __tablename__ = "restock_alerts"
    __table_args__ = (
        # Stock came back: WHERE product_id = ? AND status = 'waiting'.
        Index("ix_restock_alerts_product_status", "product_id", "status"),
        # The sender's claim: WHERE status = 'due' ORDER BY id.
        Index("ix_restock_alerts_status_id", "status", "id"),
        Index("ix_restock_alerts_user_product", "user_id", "product_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    status: Mapped[AlertStatus] = mapped_column(
        Enum(AlertStatus, native_enum=False, length=16, validate_strings=True),
        default=AlertStatus.waiting,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]  # set exactly when consumed (sent, blocked, failed)
