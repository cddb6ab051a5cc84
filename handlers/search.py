"""Product search: /search <words>, or the Search button and a one-step dialog."""

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.filters import TextInput
from handlers.start import drop_reply_keyboard
from handlers.states import SearchStates
from keyboards.callback_data import MenuAction, MenuCb, SearchCb
from keyboards.catalog import search_kb, search_prompt_kb
from keyboards.formatting import quote
from screens.base import Screen, show
from services.catalog import MAX_QUERY_LENGTH, CatalogService, search_terms

# The words of the latest search, kept in the FSM data so result pages can be turned.
QUERY_KEY = "search"


def prompt_screen(error: str | None = None) -> Screen:
    text = _("🔍 What are you looking for? Send a few words from the product name or description.")
    return Screen(f"{error}\n\n{text}" if error else text, search_prompt_kb())


async def search_results(
    catalog: CatalogService, state: FSMContext, cb: SearchCb, settings: Settings, locale: str
) -> Screen:
    """A page of the saved search; the prompt again when there is none."""
    words = (await state.get_data()).get(QUERY_KEY)
    if not words:
        await state.set_state(SearchStates.query)
        return prompt_screen(_("That search is out of date. Please search again."))
    # The button carries the page count of the first page; as many matches as fill
    # those pages give the same count without counting again.
    known = cb.pages * settings.page_size if cb.pages else None
    page, total = await catalog.search(words, cb.page, cb.after, settings.page_size, total=known)
    shown = quote(words, 100)
    if not page.items:
        text = _("Nothing found for «{words}». Try other words.").format(words=shown)
    elif cb.pages:
        text = _("🔍 Results for «{words}»:").format(words=shown)
    else:
        text = _("🔍 Results for «{words}»: {count} found.").format(words=shown, count=total)
    return Screen(text, search_kb(page, currency=settings.currency, locale=locale))


async def _run(
    event: Message,
    words: str,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    locale: str,
) -> None:
    words = words[:MAX_QUERY_LENGTH]
    if not search_terms(words):
        await state.set_state(SearchStates.query)
        await show(event, prompt_screen())
        return
    if await drop_reply_keyboard(state, event) is not None:
        await state.set_state(None)
    await state.update_data({QUERY_KEY: words})
    await show(
        event, await search_results(CatalogService(session), state, SearchCb(), settings, locale)
    )


async def cmd_search(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    locale: str,
) -> None:
    await _run(message, command.args or "", session, state, settings, locale)


async def on_menu_search(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(SearchStates.query)
    await show(query, prompt_screen())


async def on_query_input(
    message: Message,
    text: str,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    locale: str,
) -> None:
    await _run(message, text, session, state, settings, locale)


async def on_query_wrong(message: Message) -> None:
    await show(message, prompt_screen(_("Please send the words to search for as text.")))


async def on_search_page(
    query: CallbackQuery,
    callback_data: SearchCb,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    locale: str,
) -> None:
    screen = await search_results(CatalogService(session), state, callback_data, settings, locale)
    await show(query, screen)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_search, Command("search"), StateFilter("*"))
    router.callback_query.register(
        on_menu_search, MenuCb.filter(F.action == MenuAction.search), StateFilter("*")
    )
    router.callback_query.register(on_search_page, SearchCb.filter(), StateFilter("*"))
    router.message.register(on_query_input, StateFilter(SearchStates.query), TextInput())
    router.message.register(on_query_wrong, StateFilter(SearchStates.query))
    return router
