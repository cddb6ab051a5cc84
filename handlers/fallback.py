"""What nobody else handled: stale buttons and stray messages never go unanswered."""

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.common import product_gone
from handlers.context import Ctx
from handlers.states import leave_dialog
from keyboards.callback_data import (
    CartAddCb,
    ReviewsCb,
    ReviewStartCb,
)
from keyboards.catalog import CardButtonCb, card_of
from screens.base import show
from screens.fallback import stale_button_text, unknown_message_screen
from screens.start import home_screen


async def on_unknown_deep_link(message: Message, ctx: Ctx, state: FSMContext) -> None:
    """A deep link no feature recognised still opens the shop (as /start does)."""
    await leave_dialog(state, message)
    await show(message, home_screen(ctx.user))


async def on_stale_button(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = stale_button_text()
    callback_answer.show_alert = True


async def on_card_button_gone(
    query: CallbackQuery,
    callback_data: CardButtonCb,
    ctx: Ctx,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """Add to cart, Reviews or Leave a review pressed on the card of a product gone since
    (their routers pass the press on): the alert and the list the card came from, as
    every button of such a card does."""
    await show(
        query, await product_gone(ctx, state, card_of(callback_data), callback_answer, query)
    )


async def on_unknown_message(message: Message, ctx: Ctx, raw_state: str | None) -> None:
    await show(message, unknown_message_screen(ctx.user.role, in_dialog=raw_state is not None))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_unknown_deep_link, CommandStart(deep_link=True))
    for card_button in (CartAddCb, ReviewsCb, ReviewStartCb):
        router.callback_query.register(on_card_button_gone, card_button.filter())
    router.callback_query.register(on_stale_button)
    router.message.register(on_unknown_message)
    return router
