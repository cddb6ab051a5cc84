import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, utcnow


class OrderStatus(enum.StrEnum):
    new = "new"
    paid = "paid"
    shipped = "shipped"
    delivered = "delivered"
    cancelled = "cancelled"
    refunded = "refunded"


class PaymentMethod(enum.StrEnum):
    stars = "stars"
    provider = "provider"
    cod = "cod"


# Order.cancel_reason of an order cancelled because its reservation ran out.
CANCELLED_EXPIRED = "expired"


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        # A customer's orders, newest first; and the admin list filtered by status.
        Index("ix_orders_user_listing", "user_id", "id"),
        Index("ix_orders_status_listing", "status", "id"),
        # The reservation sweep: new orders whose hold has run out, oldest first.
        Index("ix_orders_reservation_sweep", "status", "expires_at"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[OrderStatus] = mapped_column(
        Enum(OrderStatus, native_enum=False, length=16, validate_strings=True),
        default=OrderStatus.new,
    )
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[PaymentMethod] = mapped_column(
        Enum(PaymentMethod, native_enum=False, length=16, validate_strings=True)
    )
    contact_name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(20))
    # None means pickup.
    address: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    # Unique: Telegram may deliver one successful_payment twice; the second changes nothing.
    telegram_payment_charge_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_payment_charge_id: Mapped[str | None] = mapped_column(String(255))
    # What was charged, in the invoice currency's smallest units (Stars are whole).
    paid_amount: Mapped[int | None]
    paid_at: Mapped[datetime | None]
    # An unpaid order holds its stock until then (a cash-on-delivery order: until the
    # seller confirms it by shipping); None: held until someone acts (older orders).
    expires_at: Mapped[datetime | None]
    # Why a cancelled order was cancelled: "expired" (the sweep), else None. A payment
    # that arrives after expiry may be honoured; see services/reservations.py.
    cancel_reason: Mapped[str | None] = mapped_column(String(16))
    # A promo code's discount, already taken off `total` (what is charged); the code as
    # the customer typed it, kept even if the code is deleted later.
    discount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0, server_default="0")
    promo_code: Mapped[str | None] = mapped_column(String(32))

    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="order", lazy="raise", order_by="OrderItem.id"
    )


class OrderItem(Base):
    """A line of an order: name and unit price copied, so later edits don't change it."""

    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    seller_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    quantity: Mapped[int]
    # The line's part of the order's promo discount (0 for a line the code didn't
    # cover): what its customer paid for it is line_total - discount. Orders placed
    # before 0014 have 0 on every line (refunds then spread the discount alike).
    discount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="items", lazy="raise")

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class Refund(Base):
    """Money given back for an order, whole or one line: what, how, and whether the units
    went back on sale. Written in the same transaction as the order's change."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        # A line may be refunded in several steps (some of its units each time).
        Index("ix_refunds_order_item", "order_id", "order_item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # None: the whole order (what was not refunded before).
    order_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_items.id", ondelete="CASCADE")
    )
    admin_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # Units of the line refunded; None: the whole order (every unit not refunded before).
    quantity: Mapped[int | None]
    # "telegram": refundStarPayment returned the Stars; "manual": the shop returns the
    # money itself (provider dashboard, cash, or a partial Stars refund Telegram can't do).
    via: Mapped[str] = mapped_column(String(16))
    restocked: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
