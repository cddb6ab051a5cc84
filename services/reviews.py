"""Reviews: one per customer and product, the stored rating, moderation, seller replies.

`products.rating_sum` / `rating_count` hold the sum and number of VISIBLE reviews. Every
change of a review changes them in the same transaction with an SQL-side increment, so
two reviews published at once can't lose an update. A review being changed is locked
(SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers anyway), so an edit and
a moderation action on the same review can't both apply a stale grade.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from db.sql import insert_new
from models import Product, Review, User
from models.base import utcnow
from services.access import can_sell
from services.admin import require_admin
from services.audit import AuditService
from services.catalog import CatalogService
from services.catalog_reads import MAX_ID
from services.errors import InvalidInput, NotAllowed, NotFound
from services.names import public_name
from services.notices import NoticeService
from services.paging import fit_page
from services.texts import N_
from services.users import UserService
from services.validation import check_shown, visible

COMMENT_MAX = 1000
REPLY_MAX = 1000


class ProductUnavailable(NotFound):
    message = N_("This product is no longer available.")


class ReviewGone(NotFound):
    message = N_("This review no longer exists.")


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A review with the names a screen shows next to it."""

    review: Review
    author: str  # services.names.public_name: '' for a web-only account (show NAMELESS)
    product_name: str


@dataclass(frozen=True, slots=True)
class ReviewPage:
    items: list[ReviewItem]
    page: int
    pages: int
    total: int


def check_grade(grade: int) -> int:
    if not 1 <= grade <= 5:
        raise InvalidInput(N_("Choose from 1 to 5 stars."))
    return grade


def _clean_text(text: str, limit: int) -> str:
    value = text.strip()
    if not visible(value):
        raise InvalidInput(N_("The text can't be empty."))
    check_shown(value)
    if len(value) > limit:
        raise InvalidInput(
            N_("The text is too long: {length} characters, at most {max}."),
            length=len(value),
            max=limit,
        )
    return value


def clean_comment(text: str) -> str:
    return _clean_text(text, COMMENT_MAX)


def clean_reply(text: str) -> str:
    return _clean_text(text, REPLY_MAX)


class ReviewService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.audit = AuditService(session)

    # -- reading ------------------------------------------------------------------------

    async def product(self, product_id: int) -> Product:
        """A product customers can see; `ProductUnavailable` when hidden or deleted (or
        its category is hidden): the catalog's rule, one place."""
        product = await CatalogService(self.session).visible_product(product_id)
        if product is None:
            raise ProductUnavailable()
        return product

    async def own(self, user_id: int, product_id: int, *, lock: bool = False) -> Review | None:
        stmt = select(Review).where(Review.user_id == user_id, Review.product_id == product_id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(stmt)

    async def get(self, review_id: int, *, lock: bool = False) -> Review:
        if not 0 < review_id <= MAX_ID:  # a forged id beyond INTEGER: just not found
            raise ReviewGone()
        stmt = select(Review).where(Review.id == review_id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        review = await self.session.scalar(stmt)
        if review is None:
            raise ReviewGone()
        return review

    async def item(self, review_id: int) -> ReviewItem:
        if not 0 < review_id <= MAX_ID:
            raise ReviewGone()
        row = (
            await self.session.execute(
                select(Review, User.first_name, Product.name)
                .join(User, User.id == Review.user_id)
                .join(Product, Product.id == Review.product_id)
                .where(Review.id == review_id)
            )
        ).first()
        if row is None:
            raise ReviewGone()
        return ReviewItem(row[0], public_name(row[1]), row[2])

    async def page(self, product_id: int, page: int, page_size: int) -> tuple[Product, ReviewPage]:
        """A page of a visible product's visible reviews, newest first."""
        product = await self.product(product_id)
        total = product.rating_count  # kept in step with the visible reviews: no COUNT(*)
        page, pages = fit_page(page, total, page_size)
        rows = await self.session.execute(
            select(Review, User.first_name)
            .join(User, User.id == Review.user_id)
            .where(Review.product_id == product_id, Review.is_visible)
            .order_by(Review.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        items = [ReviewItem(review, public_name(name), product.name) for review, name in rows]
        return product, ReviewPage(items, page, pages, total)

    # -- the customer's review -----------------------------------------------------------

    async def _reviewable(self, user: User, product_id: int) -> Product:
        product = await self.product(product_id)
        if product.seller_id == user.id:
            raise NotAllowed(N_("You can't review your own product."))
        return product

    async def begin(self, user: User, product_id: int) -> tuple[Product, Review | None]:
        """The product to review and the user's existing review of it, if any."""
        product = await self._reviewable(user, product_id)
        return product, await self.own(user.id, product_id)

    async def submit(
        self, user: User, product_id: int, grade: int, comment: str | None
    ) -> tuple[Review, bool]:
        """Publishes the user's review, or replaces their grade and comment if they have one.

        Returns the review and whether it is new. An edited review keeps its visibility:
        a hidden one stays hidden until a moderator shows it again.
        """
        check_grade(grade)
        comment = clean_comment(comment) if comment is not None else None
        product = await self._reviewable(user, product_id)
        review = await self.own(user.id, product_id, lock=True)
        if review is None:
            values = {"user_id": user.id, "product_id": product_id, "grade": grade}
            stmt = insert_new(
                self.session,
                Review.__table__,
                {**values, "comment": comment},
                keys=("user_id", "product_id"),
            ).returning(Review.id)
            created = await self.session.scalar(stmt)
            # None: the same user published at once elsewhere and won; edit theirs.
            review = await self.own(user.id, product_id, lock=True)
            if review is None:  # pragma: no cover - the insert or the constraint says it is
                raise ReviewGone()
            if created is not None:
                await self._bump(product, grade, 1)
                return review, True
        if review.is_visible:
            await self._bump(product, grade - review.grade, 0)
        review.grade = grade
        review.comment = comment
        await self.session.flush()
        return review, False

    async def _bump(self, product: Product | int, grade_delta: int, count_delta: int) -> None:
        """Moves the stored aggregate in SQL (no read-modify-write in Python)."""
        product_id = product if isinstance(product, int) else product.id
        if not grade_delta and not count_delta:
            return
        table = Product.__table__
        row = (
            await self.session.execute(
                update(table)
                .where(table.c.id == product_id)
                .values(
                    rating_sum=table.c.rating_sum + grade_delta,
                    rating_count=table.c.rating_count + count_delta,
                )
                .returning(table.c.rating_sum, table.c.rating_count)
            )
        ).one()
        # Keep a loaded Product in step without another SELECT.
        cached = self.session.identity_map.get(identity_key(Product, product_id))
        if cached is not None:
            set_committed_value(cached, "rating_sum", row.rating_sum)
            set_committed_value(cached, "rating_count", row.rating_count)

    # -- seller replies -----------------------------------------------------------------

    async def reply_target(self, user: User, review_id: int) -> ReviewItem:
        """The review the user may reply to: only the seller of its product may, while
        they sell (a seller made a customer keeps the old notice's Reply button)."""
        item = await self.item(review_id)
        seller_id = await self.session.scalar(
            select(Product.seller_id).where(Product.id == item.review.product_id)
        )
        if seller_id is None or seller_id != user.id or not can_sell(user):
            raise NotAllowed()
        return item

    async def reply(self, user: User, review_id: int, text: str) -> tuple[Review, bool]:
        """Sets (or replaces) the seller's one reply to a review; True when it is the first."""
        text = clean_reply(text)
        review = (await self.reply_target(user, review_id)).review
        first = review.seller_reply is None
        review.seller_reply = text
        review.replied_at = utcnow()
        await self.session.flush()
        return review, first

    # -- moderation ---------------------------------------------------------------------

    # The admin router is role-gated too; this holds for forged callbacks and any other
    # caller. The one admin rule (banned admins are refused too).
    _require_admin = staticmethod(require_admin)

    @staticmethod
    def _snapshot(review: Review) -> dict[str, Any]:
        return {
            "user_id": review.user_id,
            "product_id": review.product_id,
            "grade": review.grade,
            "comment": review.comment,
            "is_visible": review.is_visible,
            "seller_reply": review.seller_reply,
        }

    async def moderated_item(self, actor: User, review_id: int) -> ReviewItem:
        self._require_admin(actor)
        return await self.item(review_id)

    async def set_visible(self, actor: User, review_id: int, visible: bool) -> Review:
        """Hides or shows a review; the rating follows. A no-op if it already is so."""
        self._require_admin(actor)
        review = await self.get(review_id, lock=True)
        if review.is_visible == visible:
            return review
        review.is_visible = visible
        await self.session.flush()
        sign = 1 if visible else -1
        await self._bump(review.product_id, sign * review.grade, sign)
        await self.audit.record(
            actor,
            "review.unhide" if visible else "review.hide",
            "review",
            review.id,
            {"is_visible": not visible},
            {"is_visible": visible},
        )
        return review

    async def delete(self, actor: User, review_id: int) -> None:
        self._require_admin(actor)
        review = await self.get(review_id, lock=True)
        before = self._snapshot(review)
        if review.is_visible:
            await self._bump(review.product_id, -review.grade, -1)
        await self.session.delete(review)
        await self.session.flush()
        await NoticeService(self.session).forget_review(review_id)
        await self.audit.record(actor, "review.delete", "review", review_id, before, None)

    async def latest(self, actor: User, page: int, page_size: int) -> ReviewPage:
        """Every review, hidden ones too, newest first: the moderator's list."""
        self._require_admin(actor)
        total = await self.session.scalar(select(func.count()).select_from(Review)) or 0
        page, pages = fit_page(page, total, page_size)
        rows = await self.session.execute(
            select(Review, User.first_name, Product.name)
            .join(User, User.id == Review.user_id)
            .join(Product, Product.id == Review.product_id)
            .order_by(Review.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        items = [ReviewItem(review, public_name(name), product) for review, name, product in rows]
        return ReviewPage(items, page, pages, total)

    # -- who hears about a review --------------------------------------------------------

    async def audience(self, review: Review) -> tuple[User | None, list[User]]:
        """The product's seller and the admins to tell about a review (not its author)."""
        seller = await self.session.scalar(
            select(User)
            .join(Product, Product.seller_id == User.id)
            .where(Product.id == review.product_id, User.is_active, User.is_banned.is_(False))
        )
        if seller is not None and (seller.id == review.user_id or not can_sell(seller)):
            seller = None  # their own (refused anyway), or no longer a seller: no Reply
        admins = [a for a in await UserService(self.session).admins() if a.id != review.user_id]
        return seller, admins

    async def author(self, review: Review) -> User | None:
        """The review's author, if the bot can still write to them."""
        author = await self.session.get(User, review.user_id)
        return author if author is not None and author.is_active else None
