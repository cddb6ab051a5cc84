"""Every dialog's StatesGroup, one place to see all conversations the bot can hold."""

from aiogram.fsm.state import State, StatesGroup


class ProductStates(StatesGroup):
    """A seller adding a product, or changing one field of a product or of the draft."""

    category = State()
    name = State()
    description = State()
    price = State()
    stock = State()
    photo = State()
    preview = State()


class AdminStates(StatesGroup):
    """An admin finding a user, naming a new category (data: parent_id) or renaming one
    (data: category_id)."""

    find_user = State()
    category_name = State()
    category_rename = State()


class ReviewStates(StatesGroup):
    """A customer leaving or editing a review (data: product_id, grade, comment)."""

    grade = State()
    comment = State()
    preview = State()


class ReplyStates(StatesGroup):
    """A seller replying to a review (data: review_id)."""

    text = State()


class CheckoutStates(StatesGroup):
    """A customer checking out the cart (data: name, phone, address, pickup, comment)."""

    name = State()
    phone = State()
    address = State()
    comment = State()
    confirm = State()


class PromoStates(StatesGroup):
    """A customer typing a promo code for the cart."""

    code = State()


class AdminPromoStates(StatesGroup):
    """An admin creating a promo code (data: the answers so far, plain values)."""

    code = State()
    kind = State()
    value = State()
    min_order = State()
    expires = State()
    total_uses = State()
    per_customer = State()
    category = State()
    preview = State()


class AdminPromoEditStates(StatesGroup):
    """An admin editing a promo code (data: its id, the list's page, the changes so far
    as plain values; nothing is saved before Save)."""

    menu = State()
    kind = State()
    value = State()
    total_uses = State()
    per_customer = State()
    expires = State()


class SearchStates(StatesGroup):
    """The one-step search dialog: waiting for the words."""

    query = State()


class BroadcastStates(StatesGroup):
    """An admin composing a broadcast (data: broadcast_id of the draft, once there is one)."""

    compose = State()
    preview = State()


# Steps that put a reply keyboard under the input field; leaving them by /start or
# /cancel must take it away.
REPLY_KEYBOARD_STATES = frozenset({CheckoutStates.phone.state})


class RefundStates(StatesGroup):
    """An admin typing how many units of an order line to refund (data: order, item, scope)."""

    quantity = State()
