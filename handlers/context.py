"""What a handler needs of its update, in one argument: `ctx: Ctx`.

Built once per update (by `bot.middlewares.context`) from the update's session, the
sender's row, the settings and the language. Services are made on first use, so a
handler names the ones it calls (`ctx.catalog`, `ctx.reviews`...) and pays for nothing
else. Handlers still take the event, their callback data, `state` and `bot` directly:
those are aiogram's.
"""

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from models import User
from services.admin import AdminService
from services.audit import AuditService
from services.broadcast import BroadcastService
from services.cart import CartService
from services.catalog import CatalogService
from services.categories import CategoryService
from services.orders import OrderService
from services.products import ProductService
from services.reviews import ReviewService
from services.stats import StatsService
from services.users import UserService


class Ctx:
    def __init__(self, session: AsyncSession, user: User, settings: Settings, locale: str) -> None:
        self.session = session
        self.user = user
        self.settings = settings
        self.locale = locale

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
        return OrderService(self.session)

    @cached_property
    def products(self) -> ProductService:
        return ProductService(self.session, self.settings.max_price)

    @cached_property
    def reviews(self) -> ReviewService:
        return ReviewService(self.session)

    @cached_property
    def stats(self) -> StatsService:
        return StatsService(self.session)

    @cached_property
    def users(self) -> UserService:
        return UserService(self.session)
