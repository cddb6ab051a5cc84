import re
import unicodedata
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    event,
    inspect,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin
from models.category import Category


class Product(TimestampMixin, Base):
    __tablename__ = "products"
    __table_args__ = (
        # Keyset paging of a category's visible products: WHERE category_id=? AND is_active
        # AND NOT is_deleted AND id > ? ORDER BY id.
        Index("ix_products_category_listing", "category_id", "is_active", "is_deleted", "id"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(280), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    stock: Mapped[int] = mapped_column(default=0)
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    image_url: Mapped[str | None] = mapped_column(String(1024))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    seller_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    # Soft delete: orders and reviews keep pointing at the row.
    is_deleted: Mapped[bool] = mapped_column(default=False)
    # Sum and count of visible review grades, kept in step with reviews so a card never
    # scans them.
    rating_sum: Mapped[int] = mapped_column(default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    # Units ordered and not given back (cancelled, refunded to stock): search ranks by it.
    sold: Mapped[int] = mapped_column(default=0, server_default="0")
    # search_fold(name + description): SQL's lower() folds only ASCII, so the search
    # matches against this copy, kept in step by the flush events below.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    @property
    def rating(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None


# Format characters (zero-width spaces and joiners, bidi marks, soft hyphens) of the
# Basic Multilingual Plane: pasted along with a word, they show nothing.
_FORMAT = re.compile(
    "["
    + "".join(re.escape(chr(c)) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf")
    + "]"
)


def search_fold(text: str) -> str:
    """Text as search compares it: without format characters, in compatibility form
    ("е\u0308" is "ё", "ｔｅａ" is "tea"), case-folded in any script, ё read as е."""
    return unicodedata.normalize("NFKC", _FORMAT.sub("", text)).casefold().replace("ё", "е")


def _listed(product: Product) -> bool:
    """Counted in its category's product_count (the category chain is checked apart)."""
    return bool(product.is_active) and not product.is_deleted


# The one place that keeps search_text and Category.product_count in step with products
# changed through the ORM (bulk UPDATE statements on products bypass it).


@event.listens_for(Product, "before_insert")
def _fold_on_insert(_mapper, _connection, product: Product) -> None:
    product.search_text = search_fold(f"{product.name}\n{product.description or ''}")


@event.listens_for(Product, "before_update")
def _fold_on_update(_mapper, _connection, product: Product) -> None:
    attrs = inspect(product).attrs
    if attrs.name.history.has_changes() or attrs.description.history.has_changes():
        _fold_on_insert(_mapper, _connection, product)


def _shift_count(connection, category_id: int, delta: int) -> None:
    connection.execute(
        update(Category)
        .where(Category.id == category_id)
        .values(product_count=Category.product_count + delta)
        .execution_options(synchronize_session=False)
    )


@event.listens_for(Product, "after_insert")
def _count_on_insert(_mapper, connection, product: Product) -> None:
    if _listed(product):
        _shift_count(connection, product.category_id, 1)


@event.listens_for(Product, "after_delete")
def _count_on_delete(_mapper, connection, product: Product) -> None:
    if _listed(product):
        _shift_count(connection, product.category_id, -1)


@event.listens_for(Product, "after_update")
def _count_on_update(_mapper, connection, product: Product) -> None:
    attrs = inspect(product).attrs

    def before(name: str):
        history = attrs[name].history
        return history.deleted[0] if history.deleted else attrs[name].value

    was = bool(before("is_active")) and not before("is_deleted")
    old_category = before("category_id")
    now = _listed(product)
    if (was, old_category) == (now, product.category_id):
        return
    if was:
        _shift_count(connection, old_category, -1)
    if now:
        _shift_count(connection, product.category_id, 1)
