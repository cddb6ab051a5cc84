"""The customer catalog: categories, product pages, product cards and deep links."""

import html

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from db.readahead import Prefetcher, Read
from handlers.search import search_results
from handlers.start import drop_reply_keyboard, leave_dialog
from keyboards.callback_data import CategoryCb, MenuAction, MenuCb, ProductCb, SearchCb, ints
from keyboards.catalog import (
    SEARCH_BACK,
    catalog_kb,
    category_kb,
    price_text,
    product_kb,
    product_link,
)
from keyboards.formatting import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    quote,
    rating,
    stars,
    trim,
    visible_length,
)
from models import Role, User
from screens.base import Screen, show
from services.catalog import (
    CatalogService,
    CategoryScreen,
    ProductCard,
    ProductView,
    card_read,
    category_read,
)

NAME_LIMIT = 255


def card_text(
    product: ProductView,
    *,
    locale: str,
    currency: str,
    seller: str | None = None,
    category: str | None = None,
    limit: int = TEXT_LIMIT,
) -> str:
    """The product as text: name, price, stock, rating, seller, description (escaped,
    the description trimmed so the whole fits `limit`)."""
    lines = [
        f"<b>{quote(product.name, NAME_LIMIT)}</b>",
        "💰 " + price_text(product.price, currency, locale),
        "📦 "
        + (
            _("In stock: {count}").format(count=product.stock)
            if product.stock > 0
            else _("Out of stock")
        ),
    ]
    if product.rating_count:
        reviews = _("reviews: {count}").format(count=product.rating_count)
        lines.append(f"{rating(product.rating_sum, product.rating_count, locale)} ({reviews})")
    else:
        lines.append(stars(None) + " " + _("No reviews yet"))
    if seller:
        lines.append("👤 " + _("Seller: {name}").format(name=quote(seller, 100)))
    if category:
        lines.append("📂 " + quote(category, 100))
    text = "\n".join(lines)
    description = (product.description or "").strip()
    if description:
        room = limit - visible_length(text) - 2
        if room > 1:
            text += "\n\n" + html.escape(trim(description, room), quote=False)
    return text


def product_screen(
    card: ProductCard,
    *,
    locale: str,
    currency: str,
    back: CallbackData | None,
    bot_username: str,
    viewer_role: Role | None = None,
) -> Screen:
    """The product card as customers see it (also the seller's preview). Its seller and
    admins also get a Manage button into the seller panel."""
    product = card.product
    photo = product.photo_file_id or product.image_url
    text = card_text(
        product,
        locale=locale,
        currency=currency,
        seller=card.seller_name,
        category=card.category_name,
        limit=CAPTION_LIMIT if photo else TEXT_LIMIT,
    )
    link = product_link(bot_username, product.id) if product.id and bot_username else None
    markup = product_kb(
        product.id,
        in_stock=product.stock > 0,
        review_count=product.rating_count or 0,
        viewer_has_review=card.viewer_has_review,
        can_review=not card.viewer_is_seller,
        can_manage=viewer_role is Role.admin
        or (viewer_role is Role.seller and card.viewer_is_seller),
        back=back,
        link=link,
    )
    return Screen(text, markup, photo)


def browse_screen(screen: CategoryScreen, settings: Settings, locale: str) -> Screen:
    category = screen.category
    if category is None:
        if not screen.children:
            return Screen(_("The catalog is empty for now. Come back soon!"), catalog_kb([]))
        return Screen(
            "🛍 <b>" + _("Catalog") + "</b>\n" + _("Choose a category:"), catalog_kb(screen.children)
        )
    if screen.products.items:
        hint = _("Choose a category or a product:") if screen.children else _("Choose a product:")
    elif screen.children:
        hint = _("Choose a category:")
    else:
        hint = _("Nothing here yet.")
    markup = category_kb(
        category.id,
        category.parent_id,
        screen.children,
        screen.products,
        currency=settings.currency,
        locale=locale,
    )
    return Screen(f"📂 <b>{quote(category.name, 100)}</b>\n{hint}", markup)


async def _category(
    catalog: CatalogService,
    category_id: int,
    page: int,
    after: int,
    settings: Settings,
    locale: str,
    callback_answer: CallbackAnswer | None = None,
) -> Screen:
    """The category screen; the top level, with an alert, when it has been hidden."""
    screen = await catalog.category_screen(category_id, page, after, settings.page_size)
    if screen is None:
        if callback_answer is not None:
            callback_answer.text = _("This category is no longer available.")
            callback_answer.show_alert = True
        screen = await catalog.category_screen(0, 1, 0, settings.page_size)
        assert screen is not None
    return browse_screen(screen, settings, locale)


async def cmd_catalog(
    message: Message, session: AsyncSession, settings: Settings, locale: str, state: FSMContext
) -> None:
    if await drop_reply_keyboard(state, message) is not None:
        await state.set_state(None)  # a dialog left for the catalog; saved search words stay
    await show(message, await _category(CatalogService(session), 0, 1, 0, settings, locale))


async def on_menu_catalog(
    query: CallbackQuery, session: AsyncSession, settings: Settings, locale: str
) -> None:
    await show(query, await _category(CatalogService(session), 0, 1, 0, settings, locale))


async def on_category_open(
    query: CallbackQuery,
    callback_data: CategoryCb,
    session: AsyncSession,
    settings: Settings,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    cb = callback_data
    screen = await _category(
        CatalogService(session), cb.id, cb.page, cb.after, settings, locale, callback_answer
    )
    await show(query, screen)


async def _bot_username(bot: Bot) -> str:
    return (await bot.me()).username or ""


async def on_product_open(
    query: CallbackQuery,
    callback_data: ProductCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
    bot: Bot,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    cb = callback_data
    catalog = CatalogService(session)
    card = await catalog.product_card(cb.id, user.telegram_id)
    if cb.category_id == SEARCH_BACK:
        back: CallbackData = SearchCb(page=cb.page, after=cb.after)
    else:
        category_id = cb.category_id or (card.product.category_id if card else 0)
        back = CategoryCb(id=category_id, page=cb.page, after=cb.after)
    if card is None:
        callback_answer.text = _("This product is no longer available.")
        callback_answer.show_alert = True
        if isinstance(back, SearchCb):
            await show(query, await search_results(catalog, state, back, settings, locale))
        else:
            screen = await _category(catalog, back.id, back.page, back.after, settings, locale)
            await show(query, screen)
        return
    screen = product_screen(
        card,
        locale=locale,
        currency=settings.currency,
        back=back,
        bot_username=await _bot_username(bot),
        viewer_role=user.role,
    )
    await show(query, screen)


async def cmd_start_product(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
    bot: Bot,
    state: FSMContext,
) -> None:
    """/start p<id>: a shared product link, also for someone who never used the bot."""
    await leave_dialog(state, message)
    catalog = CatalogService(session)
    card = await catalog.product_card(int((command.args or "p0")[1:]), user.telegram_id)
    if card is None:
        await message.answer(_("This product is no longer available."))
        await show(message, await _category(catalog, 0, 1, 0, settings, locale))
        return
    back = CategoryCb(id=card.product.category_id)
    username = await _bot_username(bot)
    await show(
        message,
        product_screen(
            card,
            locale=locale,
            currency=settings.currency,
            back=back,
            bot_username=username,
            viewer_role=user.role,
        ),
    )


def prefetcher(settings: Settings) -> Prefetcher:
    """What a category or product button reads, for the user middleware to fetch with
    the user's row: a page of the catalog, or a card, is then one statement
    (`db.readahead`). A forged button reads nothing early (its handler, or the
    fallback, answers it)."""

    def read(data: str, telegram_id: int) -> Read | None:
        if (category := ints(CategoryCb, data)) is not None:
            category_id, page, after = category
            return category_read(category_id, page, after, settings.page_size)
        if (product := ints(ProductCb, data)) is not None:
            return card_read(product[0], telegram_id)
        return None

    return read


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
    return router
