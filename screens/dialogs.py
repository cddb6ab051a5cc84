"""Leaving a dialog step that put a reply keyboard under the input field (checkout's
phone step): the keyboard must go however the step is left (a command, a menu button,
/admin...). Here, below the routers, so that any router can take it away without
importing another router."""

from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

# Those steps, by their FSM state names (`handlers.states.CheckoutStates.phone`: this
# floor can't import the routers' states; tests/test_checkout.py checks they agree).
REPLY_KEYBOARD_STATES = frozenset({"CheckoutStates:phone"})


async def drop_reply_keyboard(current: str | None, event: Message | CallbackQuery | None) -> None:
    """Takes away the reply keyboard of the step `current` (the state being left), if it
    shows one. `event` is the command, or the button pressed."""
    message = event.message if isinstance(event, CallbackQuery) else event
    if current in REPLY_KEYBOARD_STATES and isinstance(message, Message):
        await message.answer(_("Cancelled."), reply_markup=ReplyKeyboardRemove())
