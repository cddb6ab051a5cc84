from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin


class CartItem(TimestampMixin, Base):
    """One product in a customer's cart. Kept in the database, so a cart outlives restarts."""

    __tablename__ = "cart_items"
    __table_args__ = (
        # One row per product and customer; also the index of "this user's cart".
        Index("ix_cart_items_user_product", "user_id", "product_id", unique=True),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(default=1)
    # The price the customer last saw; a different current price is flagged in the cart.
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
