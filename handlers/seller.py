"""The seller panel: My products, and per product Edit, Hide/Show, Delete.

The add/edit dialog itself lives in handlers/seller_add.py; both share the screens here.
"""

import html

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.filters import protect
from keyboards.callback_data import (
    MenuAction,
    MenuCb,
    SellerAction,
    SellerCb,
    SellerProductAction,
    SellerProductCb,
)
from keyboards.formatting import CAPTION_LIMIT, TEXT_LIMIT, money, quote, trim, visible_length
from keyboards.seller import (
    delete_confirm_kb,
    fields_kb,
    manage_product_kb,
    my_products_kb,
    seller_panel_kb,
)
from models import Category, Product, Role, User
from screens.base import Screen, show
from services.products import ProductService

# A page of My products is one message: this many lines always fit its 4096 characters.
PAGE_MAX = 20
# The manage screen's caption always fits 1024 characters: the name is 255 at most, the
# category path is cut to this, and the description gets the room that is left.
PATH_LIMIT = 200
DESCRIPTION_LIMIT = 300


def product_service(session: AsyncSession, settings: Settings) -> ProductService:
    return ProductService(session, settings.max_price)


def status_label(product: Product) -> str:
    return "👁 " + _("visible") if product.is_active else "🙈 " + _("hidden")


def path_text(path: list[Category]) -> str:
    """'Drinks › Tea', escaped; a deep path loses its top levels, not the category."""
    text = " › ".join(c.name for c in path)
    if len(text) > PATH_LIMIT:
        text = "…" + text[len(text) - PATH_LIMIT + 1 :]
    return quote(text)


def panel_screen() -> Screen:
    text = _("<b>Seller panel</b>\nAdd products and manage the ones you sell.")
    return Screen(text, seller_panel_kb())


async def products_screen(
    svc: ProductService, user: User, page: int, settings: Settings, locale: str
) -> Screen:
    size = min(settings.page_size, PAGE_MAX)
    listing = await svc.list_own(user, page, size)
    if not listing.items and page > 1:
        listing = await svc.list_own(user, 1, size)
    if not listing.items:
        text = _("<b>My products</b>\n\nYou have no products yet. Add the first one!")
        return Screen(text, my_products_kb([], 1, False))
    lines = [_("<b>My products</b>, page {page}").format(page=listing.page), ""]
    first = (listing.page - 1) * size + 1
    for n, product in enumerate(listing.items, start=first):
        lines.append(
            _("{n}. {name}: {price}, {stock} in stock, {status}").format(
                n=n,
                name=quote(product.name, 60),
                price=money(product.price, settings.currency, locale),
                stock=product.stock,
                status=status_label(product),
            )
        )
    return Screen("\n".join(lines), my_products_kb(listing.items, listing.page, listing.has_next))


async def manage_screen(
    svc: ProductService,
    product: Product,
    page: int,
    settings: Settings,
    locale: str,
    note: str | None = None,
) -> Screen:
    path = await svc.category_path(product.category_id)
    lines = [note, ""] if note else []
    lines += [
        f"<b>{quote(product.name, 255)}</b>",
        _("Category: {path}").format(path=path_text(path)),
        _("Price: {price}").format(price=money(product.price, settings.currency, locale)),
        _("In stock: {stock}").format(stock=product.stock),
        _("Photo: {photo}").format(photo=_("yes") if product.photo_file_id else _("no")),
        _("Status: {status}").format(status=status_label(product)),
    ]
    text = "\n".join(lines)
    if product.description:
        # A photo's caption is 1024 characters: the description gets what is left.
        limit = CAPTION_LIMIT if product.photo_file_id else TEXT_LIMIT
        room = min(limit - visible_length(text) - 2, DESCRIPTION_LIMIT)
        if room > 1:
            text += "\n\n" + html.escape(trim(product.description, room), quote=False)
    return Screen(text, manage_product_kb(product, page), photo=product.photo_file_id)


# -- panel and list ---------------------------------------------------------------------


async def cmd_seller(message: Message, state: FSMContext) -> None:
    await state.clear()
    await show(message, panel_screen())


async def on_seller_panel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(query, panel_screen())


async def on_products_list(
    query: CallbackQuery,
    callback_data: SellerCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    svc = product_service(session, settings)
    await show(query, await products_screen(svc, user, callback_data.page, settings, locale))


# -- one product ------------------------------------------------------------------------


async def on_product_open(
    query: CallbackQuery,
    callback_data: SellerProductCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
    state: FSMContext,
) -> None:
    await state.clear()
    svc = product_service(session, settings)
    product = await svc.get_own(user, callback_data.id)
    await show(query, await manage_screen(svc, product, callback_data.page, settings, locale))


async def on_product_edit(
    query: CallbackQuery,
    callback_data: SellerProductCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
) -> None:
    product = await product_service(session, settings).get_own(user, callback_data.id)
    text = _("What do you want to change in <b>{name}</b>?").format(name=quote(product.name))
    await show(query, Screen(text, fields_kb(product.id, callback_data.page)))


async def on_product_visibility(
    query: CallbackQuery,
    callback_data: SellerProductCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    visible = callback_data.action is SellerProductAction.show
    svc = product_service(session, settings)
    product = await svc.set_visible(user, callback_data.id, visible)
    callback_answer.text = (
        _("The product is back in the catalog.")
        if visible
        else _("The product is hidden from the catalog.")
    )
    await show(query, await manage_screen(svc, product, callback_data.page, settings, locale))


async def on_product_delete(
    query: CallbackQuery,
    callback_data: SellerProductCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
) -> None:
    product = await product_service(session, settings).get_own(user, callback_data.id)
    text = _(
        "Delete <b>{name}</b>?\n\nCustomers won't see it any more. "
        "Orders and reviews that mention it stay as they are."
    ).format(name=quote(product.name))
    await show(query, Screen(text, delete_confirm_kb(product, callback_data.page)))


async def on_product_delete_confirm(
    query: CallbackQuery,
    callback_data: SellerProductCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
    callback_answer: CallbackAnswer,
    state: FSMContext,
) -> None:
    svc = product_service(session, settings)
    await svc.delete(user, callback_data.id)
    await state.clear()  # an edit of it left open elsewhere ends too
    callback_answer.text = _("The product is deleted.")
    await show(query, await products_screen(svc, user, callback_data.page, settings, locale))


def build_router() -> Router:
    from handlers import seller_add

    router = protect(Router(name=__name__), Role.seller, Role.admin)
    router.message.register(cmd_seller, Command("seller"), StateFilter("*"))
    router.callback_query.register(
        on_seller_panel, MenuCb.filter(F.action == MenuAction.seller), StateFilter("*")
    )
    router.callback_query.register(
        on_seller_panel, SellerCb.filter(F.action == SellerAction.panel), StateFilter("*")
    )
    router.callback_query.register(
        on_products_list, SellerCb.filter(F.action == SellerAction.products)
    )
    router.callback_query.register(
        on_product_open,
        SellerProductCb.filter(F.action == SellerProductAction.open),
        StateFilter("*"),
    )
    router.callback_query.register(
        on_product_edit, SellerProductCb.filter(F.action == SellerProductAction.edit)
    )
    router.callback_query.register(
        on_product_visibility,
        SellerProductCb.filter(F.action.in_({SellerProductAction.hide, SellerProductAction.show})),
    )
    router.callback_query.register(
        on_product_delete, SellerProductCb.filter(F.action == SellerProductAction.delete)
    )
    router.callback_query.register(
        on_product_delete_confirm,
        SellerProductCb.filter(F.action == SellerProductAction.delete_ok),
    )
    router.include_router(seller_add.build_router())
    return router
