"""Every model is imported here so Alembic and `create_all` see the whole schema."""

from models.account import AppSetting, LoginFailure
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
from models.favourite import ACTIVE_ALERT, AlertStatus, Favourite, RestockAlert
from models.fsm import FsmRecord
from models.notice import NoticeKind, PendingNotice
from models.order import Order, OrderItem, OrderStatus, PaymentMethod, Refund
from models.product import Product
from models.promo import CartPromo, PromoCode, PromoKind, PromoRedemption
from models.review import Review
from models.search_index import products_fts  # also registers the index's table events
from models.update import ProcessedUpdate
from models.user import Role, User

__all__ = [
    "ACTIVE_ALERT",
    "AlertStatus",
    "AppSetting",
    "Audience",
    "AuditEntry",
    "Base",
    "Broadcast",
    "BroadcastRecipient",
    "BroadcastStatus",
    "CartItem",
    "CartPromo",
    "Category",
    "Favourite",
    "FsmRecord",
    "LoginFailure",
    "NoticeKind",
    "Order",
    "OrderItem",
    "OrderStatus",
    "PaymentMethod",
    "PendingNotice",
    "ProcessedUpdate",
    "Product",
    "PromoCode",
    "PromoKind",
    "PromoRedemption",
    "RecipientStatus",
    "Refund",
    "RestockAlert",
    "Review",
    "Role",
    "User",
    "products_fts",
]
