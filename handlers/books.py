"""The owner's books, for admins: orders as a CSV file for a period, and the Stars check
(Telegram's Stars ledger, read page by page, against the orders)."""

from datetime import UTC, date, datetime

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message, TransactionPartnerUser
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.context import Ctx
from handlers.filters import NotCommand, TextInput, protect
from handlers.states import begin_dialog, end_dialog, leave_dialog
from keyboards.callback_owner import BooksAction, BooksCb, ExportRange
from models import Role
from screens.base import show
from screens.books import (
    books_screen,
    export_caption,
    no_orders_text,
    reconcile_screen,
    typed_screen,
)
from services.admin import require_admin
from services.books import (
    BooksService,
    CsvStyle,
    Ledger,
    Period,
    parse_period,
    preset_days,
    reconcile,
)
from services.errors import DomainError
from services.texts import N_

PAGE = 100  # getStarTransactions' largest page
MAX_PAGES = 200  # 20,000 transactions: a check stays within a minute


class BooksStates(StatesGroup):
    period = State()  # an admin typing a date range


def preset(choice: ExportRange, today: date) -> tuple[date | None, date | None]:
    if choice is ExportRange.everything:
        return None, None
    if choice is ExportRange.this_month:
        return preset_days(None, today, this_month=True)
    days = {ExportRange.today: 1, ExportRange.week: 7, ExportRange.month30: 30}[choice]
    return preset_days(days, today)


async def send_export(
    ctx: Ctx, bot: Bot, chat_id: int, first: date | None, last: date | None
) -> bool:
    """The CSV file to the admin's chat; False when the period has no orders."""
    period = Period.days(first, last) if first and last else Period(None, None)
    data, rows = await BooksService(ctx.session).export_csv(
        ctx.user, period, CsvStyle.for_locale(ctx.locale)
    )
    if not rows:
        return False
    name = f"orders_{first}_{last}.csv" if first else f"orders_all_{datetime.now(UTC):%Y-%m-%d}.csv"
    await bot.send_document(
        chat_id,
        BufferedInputFile(data, filename=name),
        caption=export_caption(first, last, rows, ctx.locale),
    )
    return True


async def cmd_books(message: Message, ctx: Ctx, state: FSMContext) -> None:
    require_admin(ctx.user)
    await leave_dialog(state, message)
    await show(message, books_screen())


async def on_books(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    require_admin(ctx.user)
    await leave_dialog(state, query)
    await show(query, books_screen())


async def on_export(
    query: CallbackQuery,
    callback_data: BooksCb,
    ctx: Ctx,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    first, last = preset(callback_data.range, datetime.now(UTC).date())
    if not await send_export(ctx, bot, ctx.user.telegram_id, first, last):
        callback_answer.text = no_orders_text()


async def on_typed(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    require_admin(ctx.user)
    await begin_dialog(state, BooksStates.period, {}, query)
    await show(query, typed_screen())


async def on_period_input(
    message: Message, text: str, ctx: Ctx, state: FSMContext, bot: Bot
) -> None:
    days = parse_period(text)
    if days is None:
        await show(message, typed_screen(error=True))
        return
    await end_dialog(state)
    if not await send_export(ctx, bot, message.chat.id, *days):
        await message.answer(no_orders_text(), reply_markup=books_screen().markup)


async def on_period_other(message: Message) -> None:
    """A sticker, a photo...: the dates are typed."""
    await show(message, typed_screen(error=True))


async def read_ledger(bot: Bot) -> Ledger:
    """Telegram's Stars transactions, every page (up to MAX_PAGES)."""
    charges: dict[str, int] = {}
    refunds: set[str] = set()
    pages = 0
    while pages < MAX_PAGES:
        batch = (await bot.get_star_transactions(offset=pages * PAGE, limit=PAGE)).transactions
        pages += 1
        for t in batch:
            if isinstance(t.source, TransactionPartnerUser):
                charges[t.id] = t.amount
            elif isinstance(t.receiver, TransactionPartnerUser):
                refunds.add(t.id)
        if len(batch) < PAGE:
            return Ledger(charges, refunds, pages, complete=True)
    return Ledger(charges, refunds, pages, complete=False)


async def on_reconcile(query: CallbackQuery, ctx: Ctx, bot: Bot) -> None:
    books = BooksService(ctx.session)
    orders = await books.stars_orders(ctx.user)
    try:
        ledger = await read_ledger(bot)
    except TelegramAPIError as exc:
        raise DomainError(
            N_("Telegram did not give the transactions: {error}"), error=exc.message
        ) from None
    findings = reconcile(ledger, orders)
    now = datetime.now(UTC)
    await show(query, reconcile_screen(findings, ledger, len(orders), now))


def build_router() -> Router:
    router = protect(Router(name=__name__), Role.admin)
    router.message.register(cmd_books, Command("books"), StateFilter("*"))
    router.callback_query.register(on_books, BooksCb.filter(F.action == BooksAction.menu))
    router.callback_query.register(on_export, BooksCb.filter(F.action == BooksAction.export))
    router.callback_query.register(on_typed, BooksCb.filter(F.action == BooksAction.typed))
    router.callback_query.register(on_reconcile, BooksCb.filter(F.action == BooksAction.reconcile))
    router.message.register(on_period_input, StateFilter(BooksStates.period), TextInput())
    router.message.register(on_period_other, StateFilter(BooksStates.period), NotCommand())
    return router
