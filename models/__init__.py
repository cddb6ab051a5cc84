"""Every model is imported here so Alembic and `create_all` see the whole schema."""

from models.audit import AuditEntry
from models.base import Base
from models.category import Category
from models.fsm import FsmRecord
from models.product import Product
from models.review import Review
from models.user import Role, User

__all__ = ["AuditEntry", "Base", "Category", "FsmRecord", "Product", "Review", "Role", "User"]
