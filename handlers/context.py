"""What a handler needs of its update, in one argument: `ctx: Ctx`.

Built once per update (by `bot.middlewares.context`) from the update's session, the
sender's row, the settings and the language. Services are made on first use, so a
handler names the ones it calls (`ctx.catalog`, `ctx.reviews`...) and pays for nothing
else. Handlers still take the event, their callback data, `state` and `bot` directly:
those are aiogram's.
"""

import logging
from collections.abc import Awaitable
from functools import cached_property
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from models import User
from services.admin import AdminService
from services.audit import AuditService
from services.broadcast import BroadcastService
from services.cart import CartService
from services.catalog import CatalogService
from services.categories import CategoryService
from services.errors import NotSaved
from services.orders import OrderService
from services.products import ProductService
from services.reservations import Holds
from services.reviews import ReviewService
from services.stats import StatsService
from services.users import UserService

T = TypeVar("T")
log = logging.getLogger(__name__)


class Ctx:
    def __init__(self, session: AsyncSession, user: User, settings: Settings, locale: str) -> None:
        self.session = session
        self.user = user
        self.settings = settings
        self.locale = locale

    async def commit(self) -> None:
        """Makes what this update wrote durable now. A handler calls it before a reply
        that says so ("Order placed", "Published", "Saved"): when the commit fails, the
        user hears of the failure (NotSaved) instead of a promise that did not hold.
        Whatever the update writes after it is committed at its end, as usual."""
        try:
            await self.session.commit()
        except SQLAlchemyError as exc:
            log.warning("Commit failed for user %s: %r", self.user.telegram_id, exc)
            await self.session.rollback()
            raise NotSaved() from exc

    async def saved(self, work: Awaitable[T]) -> T:
        """`work`'s result once it is committed: a database error while it writes counts
        as a refused commit (NotSaved, nothing kept), as one at the commit does."""
        try:
            result = await work
        except SQLAlchemyError as exc:
            log.warning("Writing failed for user %s: %r", self.user.telegram_id, exc)
            await self.session.rollback()
            raise NotSaved() from exc
        await self.commit()
        return result

    @cached_property
    def admin(self) -> AdminService:
        return AdminService(self.session)

    @cached_property
    def audit(self) -> AuditService:
        return AuditService(self.session)

    @cached_property
    def broadcasts(self) -> BroadcastService:
        return BroadcastService(self.session)

    @cached_property
    def cart(self) -> CartService:
        return CartService(self.session)

    @cached_property
    def catalog(self) -> CatalogService:
        return CatalogService(self.session)

    @cached_property
    def categories(self) -> CategoryService:
        return CategoryService(self.session)

    @cached_property
    def orders(self) -> OrderService:
        holds = Holds.of(self.settings.reservation_minutes, self.settings.cod_confirm_hours)
        return OrderService(self.session, holds)

    @cached_property
    def products(self) -> ProductService:
        return ProductService(self.session, self.settings.max_price, self.settings.currency)

    @cached_property
    def reviews(self) -> ReviewService:
        return ReviewService(self.session)

    @cached_property
    def stats(self) -> StatsService:
        return StatsService(self.session)

    @cached_property
    def users(self) -> UserService:
        return UserService(self.session)
