"""What nobody else handled: stale buttons and stray messages never go unanswered."""

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.start import cmd_start
from keyboards.common import cancel_kb
from keyboards.menu import main_menu_kb
from models import User


async def on_stale_button(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("This button is out of date. Open the menu again: /start")
    callback_answer.show_alert = True


async def on_unknown_message(message: Message, user: User, raw_state: str | None) -> None:
    if raw_state is not None:
        await message.answer(
            _("That's not what this step expects. Send what was asked, or /cancel to leave."),
            reply_markup=cancel_kb(),
        )
        return
    await message.answer(
        _("I didn't understand that. Choose from the menu:"), reply_markup=main_menu_kb(user.role)
    )


def build_router() -> Router:
    router = Router(name=__name__)
    # A deep link no feature recognised still opens the shop.
    router.message.register(cmd_start, CommandStart(deep_link=True))
    router.callback_query.register(on_stale_button)
    router.message.register(on_unknown_message)
    return router
