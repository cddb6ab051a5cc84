import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin


class BroadcastStatus(enum.StrEnum):
    draft = "draft"
    running = "running"
    done = "done"
    cancelled = "cancelled"


class RecipientStatus(enum.StrEnum):
    pending = "pending"
    # Claimed by a sender: the message may be on its way. After a crash such a row is
    # never sent again (see services/broadcast.py: at most once).
    sending = "sending"
    sent = "sent"
    failed = "failed"


class Audience(enum.StrEnum):
    everyone = "everyone"
    en = "en"
    ru = "ru"


class Broadcast(TimestampMixin, Base):
    """One message to many users. The counters are kept, not counted, and change in the
    same transaction as the recipient rows they describe."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The admin's message as Telegram HTML (Message.html_text): their formatting survives.
    text: Mapped[str] = mapped_column(Text, default="")
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    audience: Mapped[Audience] = mapped_column(
        Enum(Audience, native_enum=False, length=8, validate_strings=True),
        default=Audience.everyone,
    )
    status: Mapped[BroadcastStatus] = mapped_column(
        Enum(BroadcastStatus, native_enum=False, length=16, validate_strings=True),
        default=BroadcastStatus.draft,
        index=True,
    )
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None]
    total: Mapped[int] = mapped_column(default=0)
    sent: Mapped[int] = mapped_column(default=0)
    # Includes `blocked` and messages whose fate a crash made unknown.
    failed: Mapped[int] = mapped_column(default=0)
    blocked: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def left(self) -> int:
        return max(self.total - self.sent - self.failed, 0)


class BroadcastRecipient(Base):
    """One user of one broadcast. No timestamps: a broadcast writes 100,000 of these."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        # Also the sender's index for "the next pending rows": it walks a broadcast in
        # user_id order with a keyset cursor. `status` is deliberately in no index, so
        # PostgreSQL can update it in place (HOT) instead of bloating an index per send.
        UniqueConstraint("broadcast_id", "user_id", name="uq_broadcast_recipients_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[RecipientStatus] = mapped_column(
        Enum(RecipientStatus, native_enum=False, length=16, validate_strings=True),
        default=RecipientStatus.pending,
    )
