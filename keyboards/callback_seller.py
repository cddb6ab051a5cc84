"""The seller panel's CallbackData classes (the rules of keyboards.callback_data hold)."""

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from keyboards.callback_base import Grows, Int


class SellerAction(StrEnum):
    panel = "panel"
    products = "list"
    add = "add"


class SellerCb(Grows, CallbackData, prefix="sl"):
    """The seller panel, a page of My products, or the start of the add dialog."""

    action: SellerAction
    page: Int = 1


class SellerProductAction(StrEnum):
    open = "open"
    edit = "edit"
    hide = "hide"
    show = "show"
    delete = "del"
    delete_ok = "delok"


class SellerProductCb(Grows, CallbackData, prefix="sp"):
    """One of the seller's products; `page` is the My products page Back returns to
    (FROM_CARD: the product's card, where Manage opened it)."""

    id: Int
    action: SellerProductAction = SellerProductAction.open
    page: Int = 1


FROM_CARD = 0  # SellerProductCb.page of a product opened from its card in the catalog


class SellerFieldCb(Grows, CallbackData, prefix="sf"):
    """Edit one field: of a saved product (`product_id`), or of the draft (0) in preview."""

    field: str
    product_id: Int = 0
    page: Int = 1


class SellerCategoryCb(Grows, CallbackData, prefix="sk"):
    """The category picker: open a level (`pick` False) or put the product there. `page`
    (from 1) is a pager's press: that page of the level's subcategories, never a pick."""

    id: Int
    pick: bool = False
    page: Int = 0
    dialog: Int = 0


class SellerStepAction(StrEnum):
    back = "back"
    skip = "skip"
    fields = "fields"
    preview = "prev"
    publish = "pub"
    cancel = "cancel"  # a saved product's edit: back to the product, nothing changed


class SellerStepCb(Grows, CallbackData, prefix="ss"):
    """Buttons of the add/edit dialog's steps and the preview, with where they were shown:
    the step (`at`, its state's name) and the dialog. Pressed anywhere else (an old
    prompt's Skip or Back), they are out of date."""

    action: SellerStepAction
    dialog: Int = 0
    at: str = ""
