from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class NoticeKind(StrEnum):
    review_new = "review_new"  # subject: the review; to its seller and the admins
    review_edited = "review_edited"  # the same, to the admins (moderation of the new text)
    role = "role"  # subject: the user whose role changed; actor: the admin


class PendingNotice(Base):
    """A message the bot owes someone for a change made through the web API, which can't
    send it (the bot's process does: jobs/notices.py). Deleted as it is claimed. One per
    kind and subject: it shows the subject as it is when sent, so a second change before
    then (a double tap) adds nothing."""

    __tablename__ = "pending_notices"
    __table_args__ = (Index("ix_pending_notices_kind_subject", "kind", "subject_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int]
    actor_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
