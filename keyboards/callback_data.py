"""Every CallbackData class of the bot. Ids, never titles: callback data is 64 bytes at most.

Prefixes are short and unique (a test checks both).
"""

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MenuAction(StrEnum):
    home = "home"
    catalog = "cat"
    search = "search"
    cart = "cart"
    orders = "orders"
    seller = "seller"
    admin = "admin"
    language = "lang"
    help = "help"


class MenuCb(CallbackData, prefix="m"):
    action: MenuAction


class LangCb(CallbackData, prefix="lng"):
    code: str


class CancelCb(CallbackData, prefix="x"):
    """Leaves whatever dialog the user is in."""


# Entry points that one feature's screens link to and another feature handles.


class CategoryCb(CallbackData, prefix="c"):
    """A category screen (id 0: the top level). `after` is the keyset cursor of the page."""

    id: int
    page: int = 1
    after: int = 0


class ProductCb(CallbackData, prefix="p"):
    """A product card; `category_id` and `page` say where Back returns to."""

    id: int
    category_id: int = 0
    page: int = 1


class ReviewsCb(CallbackData, prefix="rv"):
    """The review list of a product."""

    product_id: int
    page: int = 1


class ReviewStartCb(CallbackData, prefix="rs"):
    """Leave (or edit) one's review of a product."""

    product_id: int


class CartAddCb(CallbackData, prefix="ca"):
    product_id: int
