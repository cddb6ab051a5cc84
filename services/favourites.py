"""Favourites: a customer's list of products to come back to.

Only products customers may see now are listed (and counted); a hidden product's row
stays, so it is back on the list when the product is shown again. A deleted product's
row goes with the product only if the product row is removed; it is never listed.
"""

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Favourite, Product, User
from services.catalog import CatalogService, ListedProduct
from services.catalog_reads import MAX_ID, listed, shown_category_ids
from services.errors import DomainError, NotFound
from services.paging import PageFlags, fit_page
from services.texts import N_

MAX_FAVOURITES = 500  # a list nobody could page through is a mistake, not a wish


@dataclass(frozen=True, slots=True)
class FavouritesPage(PageFlags):
    items: list[ListedProduct]
    page: int
    pages: int


def _shown():
    return (
        select(Product.id, Product.name, Product.price, Product.stock, Favourite.created_at)
        .join(Favourite, Favourite.product_id == Product.id)
        .where(listed(), Product.category_id.in_(shown_category_ids()))
    )


class FavouriteService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, user: User, product_id: int) -> None:
        """Puts a product customers may see on the list (again: nothing changes)."""
        if await CatalogService(self.session).visible_product(product_id) is None:
            raise NotFound(N_("This product is no longer available."))
        if await self.session.get(Favourite, (user.id, product_id)) is not None:
            return
        if await self._shown_count(user) >= MAX_FAVOURITES:  # what the list can show
            raise DomainError(
                N_("Your favourites list is full ({limit}). Remove something first."),
                limit=MAX_FAVOURITES,
            )
        self.session.add(Favourite(user_id=user.id, product_id=product_id))
        await self.session.flush()

    async def _shown_count(self, user: User) -> int:
        mine = _shown().where(Favourite.user_id == user.id).subquery()
        return await self.session.scalar(select(func.count()).select_from(mine)) or 0

    async def remove(self, user: User, product_id: int) -> None:
        """Takes a product off the list (also one that has gone from the shop)."""
        if not 0 < product_id <= MAX_ID:
            return
        await self.session.execute(
            delete(Favourite).where(
                Favourite.user_id == user.id, Favourite.product_id == product_id
            )
        )

    async def page(self, user: User, page: int, size: int) -> FavouritesPage:
        """One page of the shown favourites, newest first; a page past the end is the last."""
        mine = _shown().where(Favourite.user_id == user.id)
        page, pages = fit_page(page, await self._shown_count(user), size)
        rows = await self.session.execute(
            mine.order_by(Favourite.created_at.desc(), Product.id.desc())
            .offset((page - 1) * size)
            .limit(size)
        )
        return FavouritesPage([ListedProduct(*r[:4]) for r in rows], page, pages)
