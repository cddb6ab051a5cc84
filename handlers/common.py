"""Steps several routers share (not routers themselves): a page of
the catalog, the saved search or the favourites, a product card (or where it was opened
from once the product is gone), the seller's product list and manage screen, the cart,
the invoice."""

import logging
from contextlib import suppress
from decimal import Decimal

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.context import Ctx
from handlers.states import CARD_PLACE, SEARCH_KEY, SEARCH_TOTAL, SearchStates, begin_dialog
from keyboards.callback_data import CategoryCb, FavouritesCb, ProductCb, SearchCb
from keyboards.callback_seller import FROM_CARD
from keyboards.catalog import card_back, card_in
from models import Order, PaymentMethod, Product
from screens.base import Screen, show
from screens.cart import cart_screen
from screens.catalog import browse_screen, favourites_screen, product_screen
from screens.checkout import invoice_failed_screen
from screens.payments import invoice
from screens.search import out_of_date_screen, results_screen
from screens.seller import PAGE_MAX, manage_screen, products_screen
from screens.seller_add import product_gone_screen
from services.cart import Cart
from services.catalog import ProductCard
from services.errors import NotAllowed, NotFound
from services.favourites import FavouriteService
from services.payments import CardLimit, InvoiceRefused, check_chargeable
from services.promo import PromoQuote, PromoService, to_pay_for

log = logging.getLogger(__name__)


async def ignore(_event: Message | CallbackQuery) -> None:
    """A handler that does nothing: for what needs no answer (an album's other photos)."""


async def search_page(
    ctx: Ctx, state: FSMContext, cb: SearchCb, event: Message | CallbackQuery
) -> Screen:
    """A page of the saved search (also where Back from a result's card returns); the
    prompt again when there is none (`event` began that dialog). The count is taken on a
    search's first page and kept with its words, so later pages neither count again nor
    trust a number in the button."""
    data = await state.get_data()
    words = data.get(SEARCH_KEY)
    if not words:
        await begin_dialog(state, SearchStates.query, {}, event)
        return out_of_date_screen()
    known = data.get(SEARCH_TOTAL)
    size = ctx.settings.page_size
    page, total = await ctx.catalog.search(words, cb.page, cb.after, size, total=known)
    if total != known:
        await state.update_data({SEARCH_TOTAL: total})
    return results_screen(words, page, total, currency=ctx.settings.currency, locale=ctx.locale)


async def category_page(
    ctx: Ctx,
    category_id: int,
    page: int,
    after: int,
    answer: CallbackAnswer | None = None,
    sub: int = 1,
    up: int = 1,
) -> Screen:
    """The category screen (`sub`: its page of subcategories; `up`: its parent's page
    that lists it); the top level, with an alert, when it has been hidden."""
    size = ctx.settings.page_size
    screen = await ctx.catalog.category_screen(category_id, page, after, size)
    if screen is None:
        if answer is not None:
            answer.text = _("This category is no longer available.")
            answer.show_alert = True
        screen = await ctx.catalog.category_screen(0, 1, 0, size)
        assert screen is not None
        sub = up = 1
    return browse_screen(screen, ctx.settings.currency, ctx.locale, sub, up)


async def favourites_page(ctx: Ctx, page: int) -> Screen:
    found = await FavouriteService(ctx.session).page(ctx.user, page, ctx.settings.page_size)
    return favourites_screen(found, ctx.settings.currency, ctx.locale)


async def card_screen(
    ctx: Ctx, card: ProductCard, back: CallbackData, bot: Bot, here: ProductCb | None = None
) -> Screen:
    return product_screen(
        card,
        locale=ctx.locale,
        currency=ctx.settings.currency,
        back=back,
        bot_username=(await bot.me()).username or "",
        viewer_role=ctx.user.role,
        here=here,
    )


async def card_or_origin(
    ctx: Ctx,
    bot: Bot,
    state: FSMContext,
    here: ProductCb,
    answer: CallbackAnswer,
    query: CallbackQuery,
) -> Screen:
    """The card `here` opens; once the product is gone, where the card was opened from."""
    card = await ctx.catalog.product_card(here.id, ctx.user.telegram_id)
    if card is None:
        return await product_gone(ctx, state, here, answer, query)
    return await card_screen(ctx, card, card_back(here, card.product.category_id), bot, here)


async def product_gone(
    ctx: Ctx, state: FSMContext, here: ProductCb, answer: CallbackAnswer, query: CallbackQuery
) -> Screen:
    """Any button of the card `here` pressed after its product was hidden or deleted: one
    alert, and the list the card was opened from instead of the dead card."""
    answer.text = _("This product is no longer available.")
    answer.show_alert = True
    return await origin_page(ctx, state, card_back(here, 0), query)


async def origin_page(
    ctx: Ctx, state: FSMContext, back: CallbackData, query: CallbackQuery
) -> Screen:
    """The list a card was opened from (`back`: its Back, `keyboards.catalog.card_back`)."""
    if isinstance(back, SearchCb):
        return await search_page(ctx, state, back, query)
    if isinstance(back, FavouritesCb):
        return await favourites_page(ctx, back.page)
    assert isinstance(back, CategoryCb)
    return await category_page(ctx, back.id, back.page, back.after, sub=back.sub, up=back.up)


async def my_products(ctx: Ctx, page: int) -> Screen:
    """A page of the seller's products (the last page when that one is past the end
    now); the seller panel and the product dialog both end on it."""
    size = min(ctx.settings.page_size, PAGE_MAX)
    listing = await ctx.products.list_own(ctx.user, page, size)
    return products_screen(listing, size, currency=ctx.settings.currency, locale=ctx.locale)


async def own_product(
    ctx: Ctx, event: Message | CallbackQuery, product_id: int, page: int, *, lost: bool = False
) -> Product | None:
    """The seller's product `product_id`; None when it is gone (deleted; `lost`: or no
    longer theirs): then My products (page `page`) is shown instead, saying so, and
    nothing changes. Every seller button naming a product asks this first, so none
    dead-ends. Someone else's product (a forged button) is NotAllowed."""
    gone: tuple[type[Exception], ...] = (NotFound, NotAllowed) if lost else (NotFound,)
    try:
        return await ctx.products.get_own(ctx.user, product_id)
    except gone:
        pass
    await show(event, product_gone_screen(await my_products(ctx, max(page, 1))))
    return None


async def manage_product(
    ctx: Ctx,
    product: Product,
    page: int,
    note: str | None = None,
    pressed_on: object = None,
    state: FSMContext | None = None,
) -> Screen:
    """A product's manage screen (with its category path read). Opened from the card
    (FROM_CARD), Back returns to it, with its place: read from `pressed_on` (the message
    whose button opened it: the card, or this screen), which `state` remembers for the
    screens after it (Edit, Delete, a field's dialog), whose buttons can't carry it."""
    path = await ctx.products.category_path(product.category_id)
    card = await card_of_manage(product.id, pressed_on, state) if page == FROM_CARD else None
    return manage_screen(
        product, path, page, currency=ctx.settings.currency, locale=ctx.locale, note=note, card=card
    )


async def card_of_manage(
    product_id: int, pressed_on: object = None, state: FSMContext | None = None
) -> ProductCb | None:
    """The card the product's Manage was opened from (see `manage_product`)."""
    card = card_in(getattr(pressed_on, "reply_markup", None), product_id)
    if state is None:
        return card
    if card is not None:
        await state.update_data({CARD_PLACE: card.pack()})
        return card
    with suppress(TypeError, ValueError):  # nothing kept, or an older bot's
        kept = ProductCb.unpack(str((await state.get_data()).get(CARD_PLACE, "")))
        return kept if kept.id == product_id else None
    return None


async def send_invoice(ctx: Ctx, bot: Bot, order: Order) -> None:
    """The order's invoice, to the customer who sent this update (checkout's Confirm and
    the order card's Pay both end here). Never one Telegram would refuse for its amount:
    CardLimit instead (checkout checks before ordering; an order placed before that
    rule meets it at Pay). InvoiceRefused when Telegram refuses it anyway (a 400: sending
    it again won't help)."""
    settings = ctx.settings
    check_chargeable(order.total, order.payment_method, order.currency, settings.card_limits)
    token = ctx.settings.payment_provider_token
    bill = invoice(
        order,
        stars_per_unit=ctx.settings.stars_per_unit,
        provider_token=token.get_secret_value() if token else None,
    )
    try:
        await bot.send_invoice(
            chat_id=ctx.user.telegram_id,
            title=bill.title,
            description=bill.description,
            payload=bill.payload,
            currency=bill.currency,
            prices=bill.prices,
            provider_token=bill.provider_token,
        )
    except TelegramBadRequest as exc:
        log.warning("Telegram refused the invoice for order %s: %s", order.id, exc.message)
        raise InvoiceRefused() from exc


def card_problem(
    ctx: Ctx, total: Decimal, method: PaymentMethod, currency: str
) -> CardLimit | None:
    """Why no invoice could be sent for `total` (too small or too large for a card)."""
    try:
        check_chargeable(total, method, currency, ctx.settings.card_limits)
    except CardLimit as exc:
        return exc
    return None


def unpayable(ctx: Ctx, cart: Cart, promo: PromoQuote | None) -> CardLimit | None:
    """Why no invoice could be sent for what the cart comes to, with the code `promo`."""
    s = ctx.settings
    return card_problem(ctx, to_pay_for(cart, promo), PaymentMethod(s.payment_method), s.currency)


async def offer_invoice(ctx: Ctx, bot: Bot, order: Order) -> None:
    """The invoice of an order just placed (or put back to its full price); if Telegram
    can't take it now, the order stands (the customer was told so) and its card's Pay
    sends it later; if Telegram refuses it, the customer is told whom to ask."""
    try:
        await send_invoice(ctx, bot, order)
    except (InvoiceRefused, TelegramAPIError) as exc:
        if not isinstance(exc, InvoiceRefused):  # that one is logged already
            log.warning("Invoice for order %s not sent: %s", order.id, exc)
        notice = invoice_failed_screen(order.id, refused=isinstance(exc, InvoiceRefused))
        with suppress(TelegramAPIError):  # Telegram is down: the card can send it later
            await bot.send_message(ctx.user.telegram_id, notice.text, reply_markup=notice.markup)


async def cart_page(ctx: Ctx, note: str = "", *, entered: bool = False) -> Screen:
    """The sender's cart (the cart router's screen, and where checkout returns to);
    `entered`: right after the customer sent a promo code."""
    cart = await ctx.cart.get(ctx.user)
    promo = (
        await PromoService(ctx.session).quote(ctx.user, cart, ctx.settings.currency)
        if cart.lines
        else None
    )
    return cart_screen(cart, ctx.settings.currency, ctx.locale, promo, note, entered=entered)
