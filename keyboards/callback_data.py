"""Every CallbackData class of the bot (the seller panel's: keyboards.callback_seller).
Ids, never titles: callback data is 64 bytes at most. Prefixes are short and unique (a
test checks both)."""

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from keyboards.callback_base import Grows, Int, PageNo


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
    favourites = "fav"


class MenuCb(Grows, CallbackData, prefix="m"):
    action: MenuAction


class LangCb(Grows, CallbackData, prefix="lng"):
    code: str


class CancelCb(Grows, CallbackData, prefix="x"):
    """Leaves whatever dialog the user is in."""


class PageCountCb(Grows, CallbackData, prefix="pg"):
    """The n/N label of a pager: it says where you are; pressing it changes nothing."""


# Entry points that one feature's screens link to and another feature handles.


class CategoryCb(Grows, CallbackData, prefix="c"):
    """A category screen (id 0: the top level): `after`, the keyset cursor of its page of
    products; `sub`, its page of subcategories; `up`, its parent's (where Back returns)."""

    id: Int
    page: PageNo = 1
    after: Int = 0
    sub: PageNo = 1
    up: PageNo = 1


class ProductCb(Grows, CallbackData, prefix="p"):
    """A product card; `category_id`, `page`, `after`, `sub` and `up` say where Back
    returns to (category_id 0: the product's own category; -1: the search results)."""

    id: Int
    category_id: Int = 0
    page: PageNo = 1
    after: Int = 0
    sub: PageNo = 1
    up: PageNo = 1


# A card's own buttons carry its place (its ProductCb's category_id, page, after, sub, up):
# back on the card keeps its Back, and a press on a product gone since shows where it
# came from.


class ReviewsCb(Grows, CallbackData, prefix="rv"):
    """The review list of a product (`page`: of the reviews), and the card's place."""

    product_id: Int
    page: PageNo = 1
    category_id: Int = 0
    card_page: PageNo = 1
    after: Int = 0
    sub: PageNo = 1
    up: PageNo = 1


class ReviewStartCb(Grows, CallbackData, prefix="rs"):
    """Leave (or edit) one's review of a product, and the card's place."""

    product_id: Int
    category_id: Int = 0
    card_page: PageNo = 1
    after: Int = 0
    sub: PageNo = 1
    up: PageNo = 1


class CartAddCb(Grows, CallbackData, prefix="ca"):
    """Add to cart on a product card, and the card's place."""

    product_id: Int
    category_id: Int = 0
    card_page: PageNo = 1
    after: Int = 0
    sub: PageNo = 1
    up: PageNo = 1


# Admin panel


class AdminAction(StrEnum):
    panel = "panel"
    stats = "stats"
    audit = "audit"
    find = "find"
    categories = "cats"


class AdminCb(Grows, CallbackData, prefix="ad"):
    """An admin panel screen; `before` pages the audit log (entries older than that id)."""

    action: AdminAction
    before: Int = 0


class AdminUserAction(StrEnum):
    card = "card"
    role = "role"
    ban = "ban"
    unban = "unban"
    ask = "ask"  # confirm a ban (`role` empty) or a demotion to `role`


class AdminUserCb(Grows, CallbackData, prefix="au"):
    """A user's card and the actions on it; `role` is the new role of `role`."""

    action: AdminUserAction
    id: Int
    role: str = ""


class AdminCategoryAction(StrEnum):
    open = "open"
    new = "new"
    rename = "ren"
    move = "mv"
    move_to = "mvto"
    up = "up"
    down = "down"
    hide = "hide"
    show = "show"
    delete = "del"
    delete_ok = "delok"


class AdminCategoryCb(Grows, CallbackData, prefix="ak"):
    """Category management (id 0: the top level); `target` is the new parent of move_to
    (0: the top level); `page` pages the move targets."""

    action: AdminCategoryAction = AdminCategoryAction.open
    id: Int = 0
    target: Int = 0
    page: Int = 1


# Broadcast


class BroadcastCb(Grows, CallbackData, prefix="bc"):
    action: str
    id: Int = 0


class BroadcastAudienceCb(Grows, CallbackData, prefix="bca"):
    """The audience of the draft broadcast `id`: a models.Audience value."""

    id: Int
    audience: str


# Reviews: the review dialog, seller replies and moderation.


class ReviewStep(StrEnum):
    stars = "s"  # back to the star picker (also "Edit" on the preview)
    comment = "c"  # back to the comment step
    skip = "k"  # no comment, or keep the one there is
    remove = "r"  # drop the comment there is
    publish = "p"
    leave = "l"  # Back from the first step: to the product card


class ReviewGradeCb(Grows, CallbackData, prefix="rvg"):
    grade: Int


class ReviewStepCb(Grows, CallbackData, prefix="rvs"):
    """A button of the review dialog; the product id lives in the dialog's data (Publish
    carries the dialog it was shown in)."""

    step: ReviewStep
    dialog: Int = 0


class ReviewReplyCb(Grows, CallbackData, prefix="rvr"):
    """The seller writes (or edits) the reply to a review."""

    review_id: Int


class ModAction(StrEnum):
    hide = "h"
    unhide = "u"
    delete = "d"  # asks to confirm
    confirm = "y"  # deletes
    back = "b"  # "No" on the confirmation: the screen the admin came from


class ModReviewCb(Grows, CallbackData, prefix="rvm"):
    """A moderation button; `page` 0: pressed in a notification, else on that list page."""

    action: ModAction
    review_id: Int
    page: Int = 0


class ModReviewsCb(Grows, CallbackData, prefix="rvl"):
    """The admin list of the latest reviews (the admin panel links here)."""

    page: Int = 1


# Cart, checkout and orders


class CartAction(StrEnum):
    show = "s"
    inc = "i"
    dec = "d"
    remove = "r"
    clear = "c"
    checkout = "k"
    promo = "p"  # enter a promo code
    promo_off = "po"  # take the code off the cart


class CartCb(Grows, CallbackData, prefix="crt"):
    """The cart screen and its buttons; lines are keyed by product within one's own cart."""

    action: CartAction = CartAction.show
    product_id: Int = 0


class CheckoutAction(StrEnum):
    back = "b"
    skip = "s"
    pickup = "p"
    confirm = "c"
    edit = "e"
    promo_off = "po"  # the summary's total is too small to pay: without the code
    keep = "k"  # a step's answer given before (Back, or Edit on the summary) stays


class CheckoutCb(Grows, CallbackData, prefix="chk"):
    """A checkout step's button (Confirm: with the dialog its summary was shown in)."""

    action: CheckoutAction
    dialog: Int = 0


class OrderScope(StrEnum):
    mine = "m"
    sales = "s"  # orders holding the seller's products
    all = "a"  # admins


class OrdersCb(Grows, CallbackData, prefix="ols"):
    """A page of orders; `status` ('' for any) filters the admin list."""

    scope: OrderScope = OrderScope.mine
    status: str = ""
    page: Int = 1


class OrderAction(StrEnum):
    view = "v"
    cancel = "c"  # asks first
    cancel_yes = "cy"
    pay = "p"
    status = "s"  # `to` holds the new status (cancelled: asks first)
    status_yes = "sy"  # the staff's cancel, confirmed
    refund = "r"  # asks first
    refund_yes = "ry"
    reorder = "ro"  # the order's lines back into the cart


class OrderCb(Grows, CallbackData, prefix="ord"):
    """An order card and its actions; `scope`, `listed` (the status filter) and `page`
    say which list Back returns to."""

    id: Int
    action: OrderAction = OrderAction.view
    to: str = ""
    scope: OrderScope = OrderScope.mine
    listed: str = ""
    page: Int = 1

    @property
    def origin(self) -> "OrdersCb":
        return OrdersCb(scope=self.scope, status=self.listed, page=self.page)


# Catalog


class SearchCb(Grows, CallbackData, prefix="sq"):
    """A page of the user's latest search results (the words and their count are in the
    FSM data, not in the button). `after` is the keyset cursor, as in CategoryCb."""

    page: Int = 1
    after: Int = 0


# Favourites and back-in-stock alerts.


class FavouritesCb(Grows, CallbackData, prefix="fav"):
    """A page of the customer's favourites."""

    page: Int = 1


class CardToggle(StrEnum):
    favourite = "f"
    alert = "a"  # "notify me when it's back"


class CardToggleCb(Grows, CallbackData, prefix="pt"):
    """A toggle on a product card; `on` is the state asked for (a double tap asks twice
    for the same state, never flips back). `category_id`, `page`, `after`, `sub` and `up`
    are the card's own `ProductCb` place, so the card redrawn keeps its Back."""

    id: Int
    what: CardToggle
    on: bool
    category_id: Int = 0
    page: PageNo = 1
    after: Int = 0
    sub: PageNo = 1
    up: PageNo = 1
