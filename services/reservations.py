"""How long an unplaced promise holds stock, and the sweep that ends it.

A prepaid order (Stars, provider) holds its units for `Holds.unpaid`; a cash-on-delivery
order waits for its seller's confirmation (shipping it) for `Holds.cod`. The deadline is
stored on the order (`expires_at`), so a restart forgets nothing. The sweep claims due
orders with one conditional UPDATE (status still new): of two processes sweeping at once,
each order is cancelled, and its stock returned, exactly once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.base import utcnow
from models.order import CANCELLED_EXPIRED, Order, OrderStatus, PaymentMethod
from services.order_hooks import goods_returned
from services.stock import return_stock

Clock = Callable[[], datetime]
EXPIRED = CANCELLED_EXPIRED


# The one "now" of the models (created_at, updated_at), under the name callers use here.
utc_now = utcnow


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every one stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Holds:
    unpaid: timedelta | None  # None: held until someone acts
    cod: timedelta | None

    @classmethod
    def of(cls, reservation_minutes: int, cod_confirm_hours: int) -> "Holds":
        return cls(
            timedelta(minutes=reservation_minutes) if reservation_minutes else None,
            timedelta(hours=cod_confirm_hours) if cod_confirm_hours else None,
        )

    def deadline(self, method: PaymentMethod, now: datetime) -> datetime | None:
        hold = self.cod if method is PaymentMethod.cod else self.unpaid
        return now + hold if hold is not None else None


# After "yes" to a pre-checkout query the money is moving: Telegram sends the payment
# within seconds. The hold lasts at least this long from that "yes", so the sweep never
# cancels an order whose payment is on its way (and refunds it when its units are gone).
PAYMENT_GRACE = timedelta(minutes=10)


async def hold_for_payment(session: AsyncSession, order: Order, now: datetime) -> None:
    """The order's hold reaches at least PAYMENT_GRACE past `now` (none: nothing)."""
    if order.expires_at is None or aware(order.expires_at) >= now + PAYMENT_GRACE:
        return
    await session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == OrderStatus.new)
        .values(expires_at=now + PAYMENT_GRACE)
        .execution_options(synchronize_session=False)
    )


def expired(order: Order, now: datetime) -> bool:
    """The order's hold has run out (the sweep may not have come by yet)."""
    return order.expires_at is not None and aware(order.expires_at) <= now


class ReservationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def expire_due(self, now: datetime, limit: int = 100) -> list[Order]:
        """Cancels up to `limit` new orders whose hold ran out before `now` and puts their
        units back on sale; the orders (with lines) this call cancelled.

        On PostgreSQL the candidates are locked with SKIP LOCKED, so a second sweeper takes
        other orders instead of waiting; the UPDATE's own `status = 'new'` is what makes
        a double cancel impossible either way (a customer's Cancel or a seller's Ship
        racing the sweep included)."""
        due = (
            select(Order.id)
            .where(Order.status == OrderStatus.new, Order.expires_at <= now)
            .order_by(Order.expires_at)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(await self.session.scalars(due))
        if not ids:
            return []
        claimed = list(
            await self.session.scalars(
                update(Order)
                .where(Order.id.in_(ids), Order.status == OrderStatus.new)
                .values(status=OrderStatus.cancelled, cancel_reason=EXPIRED, updated_at=now)
                .returning(Order.id)
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed:
            return []
        orders = list(
            await self.session.scalars(
                select(Order)
                .where(Order.id.in_(claimed))
                .options(selectinload(Order.items))
                .order_by(Order.id)
                .execution_options(populate_existing=True)
            )
        )
        for order in orders:
            await return_stock(self.session, order.items)
            await goods_returned(self.session, order)
        return orders
