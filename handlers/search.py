"""Product search: /search <words>, or the Search button and a one-step dialog."""

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers.common import search_page
from handlers.context import Ctx
from handlers.filters import NotCommand, TextInput
from handlers.states import SEARCH_KEY, SEARCH_TOTAL, SearchStates, leave_dialog
from keyboards.callback_data import MenuAction, MenuCb, SearchCb
from screens.base import show
from screens.search import prompt_screen
from services.catalog import MAX_QUERY_LENGTH, search_terms


async def _run(message: Message, words: str, ctx: Ctx, state: FSMContext) -> None:
    words = words[:MAX_QUERY_LENGTH]
    await leave_dialog(state, message)
    if not search_terms(words):
        await state.set_state(SearchStates.query)
        await show(message, prompt_screen())
        return
    await state.update_data({SEARCH_KEY: words, SEARCH_TOTAL: None})
    await show(message, await search_page(ctx, state, SearchCb(), message))


async def cmd_search(message: Message, command: CommandObject, ctx: Ctx, state: FSMContext) -> None:
    await _run(message, command.args or "", ctx, state)


async def on_menu_search(query: CallbackQuery, state: FSMContext) -> None:
    await leave_dialog(state, query)
    await state.set_state(SearchStates.query)
    await show(query, prompt_screen())


async def on_query_input(message: Message, text: str, ctx: Ctx, state: FSMContext) -> None:
    await _run(message, text, ctx, state)


async def on_query_wrong(message: Message) -> None:
    await show(message, prompt_screen(_("Please send the words to search for as text.")))


async def on_search_page(
    query: CallbackQuery, callback_data: SearchCb, ctx: Ctx, state: FSMContext
) -> None:
    await show(query, await search_page(ctx, state, callback_data, query))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_search, Command("search"), StateFilter("*"))
    router.callback_query.register(
        on_menu_search, MenuCb.filter(F.action == MenuAction.search), StateFilter("*")
    )
    router.callback_query.register(on_search_page, SearchCb.filter(), StateFilter("*"))
    router.message.register(on_query_input, StateFilter(SearchStates.query), TextInput())
    router.message.register(on_query_wrong, StateFilter(SearchStates.query), NotCommand())
    return router
