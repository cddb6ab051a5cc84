"""The customer catalog: categories, product pages, product cards and deep links; the
card's toggles (favourite, back-in-stock alert) and the favourites list."""

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from db.readahead import ReadFor
from handlers.common import (
    card_or_origin,
    card_screen,
    category_page,
    favourites_page,
)
from handlers.context import Ctx
from handlers.states import leave_dialog
from keyboards.callback_data import (
    CardToggle,
    CardToggleCb,
    CategoryCb,
    FavouritesCb,
    MenuAction,
    MenuCb,
    ProductCb,
)
from keyboards.catalog import place
from screens.base import domain_message, show
from services.catalog_reads import card_read, category_read
from services.errors import DomainError
from services.favourites import FavouriteService
from services.restock import RestockService


async def cmd_catalog(message: Message, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, message)
    await show(message, await category_page(ctx, 0, 1, 0))


async def on_menu_catalog(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, query)  # a menu button leaves a dialog as /start does
    await show(query, await category_page(ctx, 0, 1, 0))


async def on_category_open(
    query: CallbackQuery, callback_data: CategoryCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    cb = callback_data
    screen = await category_page(ctx, cb.id, cb.page, cb.after, callback_answer, cb.sub, cb.up)
    await show(query, screen)


async def on_product_open(
    query: CallbackQuery,
    callback_data: ProductCb,
    ctx: Ctx,
    bot: Bot,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    await show(query, await card_or_origin(ctx, bot, state, callback_data, callback_answer, query))


async def on_card_toggle(
    query: CallbackQuery,
    callback_data: CardToggleCb,
    ctx: Ctx,
    bot: Bot,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """♥ / 💔 and 🔔 / 🔕 on a card: the state asked for, then the card redrawn in place."""
    cb = callback_data
    try:
        if cb.what is CardToggle.favourite:
            favourites = FavouriteService(ctx.session)
            if cb.on:
                await favourites.add(ctx.user, cb.id)
                callback_answer.text = _("Added to your favourites.")
            else:
                await favourites.remove(ctx.user, cb.id)
                callback_answer.text = _("Removed from your favourites.")
        else:
            alerts = RestockService(ctx.session)
            if cb.on:
                await alerts.subscribe(ctx.user, cb.id)
                callback_answer.text = _("We'll send you a message when it is back in stock.")
            else:
                await alerts.unsubscribe(ctx.user, cb.id)
                callback_answer.text = _("You won't get a message about this product.")
    except DomainError as exc:
        callback_answer.text = domain_message(exc)
    here = ProductCb(id=cb.id, **place(cb))
    await show(query, await card_or_origin(ctx, bot, state, here, callback_answer, query))


async def on_menu_favourites(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, query)
    await show(query, await favourites_page(ctx, 1))


async def on_favourites_page(query: CallbackQuery, callback_data: FavouritesCb, ctx: Ctx) -> None:
    await show(query, await favourites_page(ctx, callback_data.page))


async def cmd_start_product(
    message: Message, command: CommandObject, ctx: Ctx, bot: Bot, state: FSMContext
) -> None:
    """/start p<id>: a shared product link, also for someone who never used the bot."""
    await leave_dialog(state, message)
    card = await ctx.catalog.product_card(int((command.args or "p0")[1:]), ctx.user.telegram_id)
    if card is None:
        await message.answer(_("This product is no longer available."))
        await show(message, await category_page(ctx, 0, 1, 0))
        return
    await show(message, await card_screen(ctx, card, CategoryCb(id=card.product.category_id), bot))


def read_ahead(settings: Settings) -> dict[type[CallbackData], ReadFor]:
    """What a category or product button's screen reads, for the read-ahead to run with
    the presser's row: a page of the catalog, or a card, is then one statement."""
    size = settings.page_size
    return {
        CategoryCb: lambda cb, _viewer: category_read(cb.id, cb.page, cb.after, size),
        ProductCb: lambda cb, viewer: card_read(cb.id, viewer),
    }


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        cmd_start_product,
        CommandStart(deep_link=True, magic=F.args.regexp(r"^p\d{1,10}$")),
        StateFilter("*"),
    )
    router.message.register(cmd_catalog, Command("catalog"), StateFilter("*"))
    router.callback_query.register(on_menu_catalog, MenuCb.filter(F.action == MenuAction.catalog))
    router.callback_query.register(on_category_open, CategoryCb.filter())
    router.callback_query.register(on_product_open, ProductCb.filter())
    router.callback_query.register(on_card_toggle, CardToggleCb.filter())
    router.callback_query.register(
        on_menu_favourites, MenuCb.filter(F.action == MenuAction.favourites)
    )
    router.callback_query.register(on_favourites_page, FavouritesCb.filter())
    return router
