"""The shop in numbers, for the admin panel. One aggregate SELECT per table."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Category, Product, Review, Role, User
from services.access import require_admin
from services.catalog_reads import listed, shown_category_ids


@dataclass(frozen=True, slots=True)
class Stats:
    users: int
    new_users: int  # registered in the last 7 days
    banned: int
    sellers: int
    admins: int
    products: int  # not deleted
    visible: int
    hidden: int
    out_of_stock: int
    categories: int
    reviews: int
    hidden_reviews: int
    at: datetime


def _count(condition=None):
    return func.count() if condition is None else func.count().filter(condition)


class StatsService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def collect(self, actor: User, now: datetime | None = None) -> Stats:
        require_admin(actor)
        now = now or datetime.now(UTC)
        week_ago = now - timedelta(days=7)
        users = (
            await self.session.execute(
                select(
                    _count(),
                    _count(User.created_at >= week_ago),
                    _count(User.is_banned.is_(True)),
                    _count(User.role == Role.seller),
                    _count(User.role == Role.admin),
                ).select_from(User)
            )
        ).one()
        live = Product.is_deleted.is_(False)
        # Visible as the catalog's own rule has it: the product and every category above.
        shown = and_(listed(), Product.category_id.in_(shown_category_ids()))
        products = (
            await self.session.execute(
                select(
                    _count(),
                    _count(shown),
                    _count(not_(shown)),
                    _count(Product.stock == 0),
                )
                .select_from(Product)
                .where(live)
            )
        ).one()
        reviews = (
            await self.session.execute(
                select(_count(), _count(Review.is_visible.is_(False))).select_from(Review)
            )
        ).one()
        categories = await self.session.scalar(select(func.count()).select_from(Category))
        return Stats(
            users=users[0],
            new_users=users[1],
            banned=users[2],
            sellers=users[3],
            admins=users[4],
            products=products[0],
            visible=products[1],
            hidden=products[2],
            out_of_stock=products[3],
            categories=categories or 0,
            reviews=reviews[0],
            hidden_reviews=reviews[1],
            at=now,
        )
