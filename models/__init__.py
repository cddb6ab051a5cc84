"""Every model is imported here so Alembic and `create_all` see the whole schema."""

from models.audit import AuditEntry
from models.base import Base
from models.broadcast import (
    Audience,
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientStatus,
)
from models.cart import CartItem
from models.category import Category
from models.fsm import FsmRecord
from models.order import Order, OrderItem, OrderStatus, PaymentMethod
from models.product import Product
from models.review import Review
from models.update import ProcessedUpdate
from models.user import Role, User

__all__ = [
    "Audience",
    "AuditEntry",
    "Base",
    "Broadcast",
    "BroadcastRecipient",
    "BroadcastStatus",
    "CartItem",
    "Category",
    "FsmRecord",
    "Order",
    "OrderItem",
    "OrderStatus",
    "PaymentMethod",
    "ProcessedUpdate",
    "Product",
    "RecipientStatus",
    "Review",
    "Role",
    "User",
]
