"""Every dialog's StatesGroup, one place to see all conversations the bot can hold, and
how a dialog begins and ends without losing what outlives it (the saved search)."""

import secrets
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from screens.dialogs import drop_reply_keyboard

# The words of the latest search and how many products match them: not a dialog's, so
# result pages (and Back from a result's card) still work after a dialog came and went.
SEARCH_KEY = "search"
SEARCH_TOTAL = "search_total"
# The album whose first photo a step took: Telegram sends each photo of an album as a
# message of its own, and the rest are dropped, also after the dialog ended with the first.
ALBUM_TAKEN = "album_taken"
# A checkout's answers when it was left for something else (another dialog, the cart's
# promo code, a command) or stopped by the cart: the next Checkout offers them with Keep.
CHECKOUT_ANSWERS = ("name", "phone", "address", "comment")
SAVED_ANSWERS = "checkout_answers"
# The card a seller's Manage screen was opened from (a packed ProductCb): the screens
# after it (Edit, Delete, a field's dialog) have no room for its place in their buttons.
CARD_PLACE = "card_place"
_KEPT = (SEARCH_KEY, SEARCH_TOTAL, ALBUM_TAKEN, SAVED_ANSWERS, CARD_PLACE)
# Which dialog this is: each begun dialog gets a new one. A button that commits a draft
# (Publish) carries it, so one pressed in an earlier dialog's message, whose draft is
# gone, can't publish the draft open now (`handlers.filters.SameDialog`).
DIALOG = "dialog"


async def _kept(state: FSMContext, *, leaving: bool = False) -> dict[str, Any]:
    """What outlives the dialog; `leaving` a checkout unfinished, its answers too."""
    data = await state.get_data()
    kept = {k: data[k] for k in _KEPT if k in data}
    if leaving and await state.get_state() in CheckoutStates:
        if answers := {k: data[k] for k in CHECKOUT_ANSWERS if k in data}:
            kept[SAVED_ANSWERS] = answers
    return kept


async def checkout_answers(state: FSMContext) -> dict[str, Any]:
    """The answers the next Checkout offers with Keep: of the checkout on now (back to
    the cart from its summary), else those kept when one was left."""
    return dict((await _kept(state, leaving=True)).get(SAVED_ANSWERS) or {})


async def begin_dialog(
    state: FSMContext, step: State, data: dict[str, Any], event: Message | CallbackQuery
) -> None:
    """The dialog's first step with its own data (another dialog's is dropped, and so is
    the reply keyboard of the step left, if it showed one). `event`: the command or the
    button that begins it, maybe pressed in an old message while another dialog was on."""
    await drop_reply_keyboard(await state.get_state(), event)
    kept = await _kept(state, leaving=True)
    await state.set_state(step)
    await state.set_data({**kept, **data, DIALOG: secrets.randbelow(2**31)})


async def end_dialog(state: FSMContext) -> None:
    """Out of any dialog, its data dropped; the saved search stays."""
    kept = await _kept(state)
    await state.set_state(None)
    await state.set_data(kept)


async def leave_dialog(state: FSMContext, event: Message | CallbackQuery | None) -> bool:
    """Ends the dialog (and takes away its reply keyboard): every command and button
    that takes the user elsewhere goes through here. True when there was one to leave."""
    current = await state.get_state()
    await drop_reply_keyboard(current, event)
    kept = await _kept(state, leaving=True)
    await state.set_state(None)
    await state.set_data(kept)
    return current is not None


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
    """A customer checking out the cart (data: name, phone, address, pickup, comment).
    The phone step shows a reply keyboard: `screens.dialogs.REPLY_KEYBOARD_STATES`."""

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


class SupportStates(StatesGroup):
    """/paysupport: the customer's one message to the shop's admins."""

    message = State()


class RefundStates(StatesGroup):
    """An admin typing how many units of an order line to refund (data: order, item, scope)."""

    quantity = State()
