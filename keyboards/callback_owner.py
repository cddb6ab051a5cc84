"""The CallbackData classes of the owner's tools (admins): refunds, the books (CSV export,
Stars check) and promo codes. The rest are in `keyboards.callback_data`; prefixes are
unique across both (a test checks).
"""

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from keyboards.callback_base import Grows, Int, PageNo
from keyboards.callback_data import OrdersCb, OrderScope
from models import OrderStatus

# Refunds and the owner's books (admins)


class RefundStep(StrEnum):
    menu = "m"  # whole order or one line
    ask = "a"  # how many units (a line with several left), then how, and did they come back
    do = "d"


class RefundCb(Grows, CallbackData, prefix="rf"):
    order: Int
    item: Int = 0  # 0: the whole order (what was not refunded before)
    qty: Int = 0  # units of the line; 0: not chosen yet (ask), all left (do)
    step: RefundStep = RefundStep.menu
    restock: bool = False  # the units go back on sale
    scope: OrderScope = OrderScope.all
    seen: Int = 0  # do: refunds recorded when it was asked (a double tap is refused)
    # The order list Back returns to: its status filter (`listed_code`) and page.
    listed: Annotated[str, Field(max_length=1)] = ""
    page: PageNo = 1
    # do: the screen said the goods were still in the shop and go back on sale; if they
    # may have left since (shipped meanwhile), the refund is refused and asked again
    in_shop: bool = False

    @property
    def origin(self) -> OrdersCb:
        status = next((s.value for s in OrderStatus if listed_code(s.value) == self.listed), "")
        return OrdersCb(scope=self.scope, status=status, page=self.page)


def listed_code(status: str) -> str:
    """A status filter in one character (callback data holds 64 bytes): the statuses'
    first letters differ ("" and anything else: all orders)."""
    return status[:1]


class BooksAction(StrEnum):
    menu = "m"
    export = "e"  # `days` holds the preset
    typed = "t"  # asks for a typed range
    reconcile = "r"


class ExportRange(StrEnum):
    today = "d"
    week = "w"
    month30 = "m"
    this_month = "tm"
    everything = "all"


class BooksCb(Grows, CallbackData, prefix="bk"):
    action: BooksAction = BooksAction.menu
    range: ExportRange = ExportRange.today


# Promo codes (admins).


class PromoAction(StrEnum):
    list = "l"
    open = "o"
    disable = "d"
    enable = "e"
    new = "n"
    percent = "pc"
    fixed = "fx"
    skip = "s"
    back = "b"
    category = "c"  # `id`: the category, 0: any
    categories = "cp"  # the category step's page `page`
    create = "k"


class AdminPromoCb(Grows, CallbackData, prefix="apr"):
    action: PromoAction
    id: Int = 0
    page: Int = 1
    # The create dialog's buttons: the dialog and the step (`at`) they were shown in;
    # pressed anywhere else (an old prompt's Skip or Back), they are out of date.
    dialog: Int = 0
    at: str = ""


class PromoField(StrEnum):
    """What the edit dialog changes of a code (the discount: its kind and amount)."""

    discount = "d"
    total_uses = "t"
    per_customer = "p"
    expires = "e"


class PromoEditAction(StrEnum):
    start = "s"  # from the code's card: `id`, `page`
    field = "f"  # ask for `field`
    percent = "pc"
    fixed = "fx"
    none = "n"  # no limit in all / no expiry
    back = "b"
    save = "k"


class PromoEditCb(Grows, CallbackData, prefix="ape"):
    """The edit dialog of a promo code (admins); the code's id is in the dialog's data."""

    action: PromoEditAction
    field: PromoField = PromoField.discount
    id: Int = 0
    page: Int = 1
    # The dialog's buttons: the dialog and the step (`at`) they were shown in; pressed
    # anywhere else (an old prompt's No limit or Back), they are out of date.
    dialog: Int = 0
    at: str = ""
