"""/start, /help, /cancel, /language and the main menu."""

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.context import Ctx
from handlers.states import leave_dialog
from jobs.notify import refresh_menu
from keyboards.callback_data import CancelCb, LangCb, MenuAction, MenuCb, PageCountCb
from locales import LANGUAGES
from screens.base import show
from screens.start import cancelled_screen, help_screen, home_screen, language_screen


async def cmd_start(message: Message, ctx: Ctx, state: FSMContext, bot: Bot, i18n: I18n) -> None:
    await leave_dialog(state, message)
    await state.clear()  # /start begins afresh: the saved search goes too
    await show(message, home_screen(ctx.user))
    await refresh_menu(bot, i18n, ctx.user)  # a role changed elsewhere (the CLI)


async def on_home(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, query)
    await show(query, home_screen(ctx.user))


# Whatever shows the main menu (or the language picker, which leads back to it) leaves
# the dialog as /start does: its next message would otherwise be taken as the step's answer.


async def cmd_help(message: Message, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, message)
    await show(message, help_screen(ctx.user.role))


async def on_help(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, query)
    await show(query, help_screen(ctx.user.role))


async def cmd_cancel(message: Message, ctx: Ctx, state: FSMContext) -> None:
    had_dialog = await leave_dialog(state, message)
    await show(message, cancelled_screen(ctx.user.role, had_dialog=had_dialog))


async def on_cancel(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    """Cancel under a dialog's step ends it ("Cancelled."). With no dialog on (an old
    checkout step pressed after the order was placed, a move list left) it claims
    nothing: "Nothing was changed.", so nobody reads "Cancelled." as their order."""
    had_dialog = await leave_dialog(state, query)
    await show(query, cancelled_screen(ctx.user.role, had_dialog=had_dialog, button=True))


async def cmd_language(message: Message, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, message)
    await show(message, language_screen(ctx.user.language))


async def on_language(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, query)
    await show(query, language_screen(ctx.user.language))


async def on_language_pick(
    query: CallbackQuery,
    callback_data: LangCb,
    ctx: Ctx,
    i18n: I18n,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    bot: Bot,
) -> None:
    if callback_data.code not in LANGUAGES:
        callback_answer.text = _("This language is not available.")
        callback_answer.show_alert = True
        return
    await ctx.users.set_language(ctx.user, callback_data.code)
    with i18n.use_locale(ctx.user.language):
        await leave_dialog(state, query)  # a picker pressed in an old message mid-dialog
        callback_answer.text = _("Language: English")
        await show(query, home_screen(ctx.user))
    await refresh_menu(bot, i18n, ctx.user)


async def on_page_count(query: CallbackQuery) -> None:
    """A pager's n/N: the press is answered (the spinner stops) and nothing changes."""


def build_router() -> Router:
    router = Router(name=__name__)
    # Commands come before any dialog step, so /cancel or /start always work.
    router.message.register(cmd_start, CommandStart(deep_link=False), StateFilter("*"))
    router.message.register(cmd_cancel, Command("cancel"), StateFilter("*"))
    router.callback_query.register(on_cancel, CancelCb.filter(), StateFilter("*"))
    router.message.register(cmd_help, Command("help"), StateFilter("*"))
    router.message.register(cmd_language, Command("language"), StateFilter("*"))
    router.callback_query.register(on_home, MenuCb.filter(F.action == MenuAction.home))
    router.callback_query.register(on_help, MenuCb.filter(F.action == MenuAction.help))
    router.callback_query.register(on_language, MenuCb.filter(F.action == MenuAction.language))
    router.callback_query.register(on_language_pick, LangCb.filter())
    router.callback_query.register(on_page_count, PageCountCb.filter(), StateFilter("*"))
    return router
