from datetime import datetime

from sqlalchemy import BigInteger, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ProcessedUpdate(Base):
    """A Telegram update handled already (webhook mode without Redis): a second delivery
    of the same update_id does nothing. Rows older than a day are deleted as it goes."""

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=func.now(), index=True
    )
