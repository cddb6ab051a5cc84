"""The routers. Order matters: global commands first, the fallback last."""

from aiogram import Router
from aiogram.filters.callback_data import CallbackData

from bot.config import Settings
from db.readahead import ReadFor
from handlers import (
    admin,
    admin_categories,
    admin_promo,
    admin_promo_edit,
    admin_users,
    albums,
    books,
    broadcast,
    cart,
    catalog,
    checkout,
    errors,
    fallback,
    inline,
    login,
    orders,
    payments,
    promo,
    refunds,
    review_moderation,
    reviews,
    search,
    seller,
    seller_add,
    start,
)


def build_routers() -> list[Router]:
    """The routers, in the order an update tries them (the dispatcher includes them
    directly: every level of routers costs each update a round of calls)."""
    return [
        # The catalog first: most presses are its buttons, and every router before it
        # would check its filters on each. Its handlers take nothing the next ones would.
        catalog.build_router(),
        # Messages only: an album's photos past the first, before any step answers them.
        albums.build_router(),
        start.build_router(),
        # /cart and /orders work inside any dialog (they leave it, like /start).
        cart.build_commands_router(),
        orders.build_commands_router(),
        # Payments early: a successful_payment must reach it even mid-dialog.
        payments.build_router(),
        search.build_router(),
        inline.build_router(),
        login.build_router(),
        admin.build_router(),
        admin_users.build_router(),
        admin_categories.build_router(),
        broadcast.build_router(),
        books.build_router(),
        admin_promo.build_router(),
        admin_promo_edit.build_router(),
        seller.build_router(),
        seller_add.build_router(),
        review_moderation.build_router(),
        reviews.build_router(),
        promo.build_router(),  # before the cart's: Back from the code step leaves it
        cart.build_router(),
        orders.build_router(),
        refunds.build_router(),
        checkout.build_router(),
        fallback.build_router(),
        # Errors last: it handles only failures (which reach it past the routers above,
        # none of which has an errors handler), so no update passes through it.
        errors.build_router(),
    ]


def read_ahead(settings: Settings) -> dict[type[CallbackData], ReadFor]:
    """Which buttons' screens are read with the presser's row (`db.readahead`): each
    router declares its own next to the handlers that use them."""
    return {**catalog.read_ahead(settings)}
