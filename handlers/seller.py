"""The seller panel: My products, and per product Edit, Hide/Show, Delete.

The add/edit dialog itself lives in handlers/seller_add.py (its own router, behind the
same role gate); both end on the screens `handlers.common` draws.
"""

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.common import card_of_manage, manage_product, my_products, origin_page, own_product
from handlers.context import Ctx
from handlers.filters import protect
from handlers.states import leave_dialog
from keyboards.callback_data import MenuAction, MenuCb, ProductCb
from keyboards.callback_seller import (
    FROM_CARD,
    SellerAction,
    SellerCb,
    SellerProductAction,
    SellerProductCb,
)
from keyboards.catalog import card_back
from models import Role
from screens.base import show
from screens.seller import delete_ask_screen, edit_fields_screen, panel_screen

# -- panel and list ---------------------------------------------------------------------


async def cmd_seller(message: Message, state: FSMContext) -> None:
    await leave_dialog(state, message)
    await show(message, panel_screen())


async def on_seller_panel(query: CallbackQuery, state: FSMContext) -> None:
    await leave_dialog(state, query)
    await show(query, panel_screen())


async def on_products_list(query: CallbackQuery, callback_data: SellerCb, ctx: Ctx) -> None:
    await show(query, await my_products(ctx, callback_data.page))


# -- one product ------------------------------------------------------------------------


async def on_product_open(
    query: CallbackQuery, callback_data: SellerProductCb, ctx: Ctx, state: FSMContext
) -> None:
    # Checked first: if refused (someone else's product), the dialog stays.
    product = await own_product(ctx, query, callback_data.id, callback_data.page)
    await leave_dialog(state, query)
    if product is not None:
        page = callback_data.page
        screen = await manage_product(ctx, product, page, pressed_on=query.message, state=state)
        await show(query, screen)


async def on_product_edit(query: CallbackQuery, callback_data: SellerProductCb, ctx: Ctx) -> None:
    product = await own_product(ctx, query, callback_data.id, callback_data.page)
    if product is not None:
        await show(query, edit_fields_screen(product, callback_data.page))


async def on_product_visibility(
    query: CallbackQuery,
    callback_data: SellerProductCb,
    ctx: Ctx,
    callback_answer: CallbackAnswer,
    state: FSMContext,
) -> None:
    visible = callback_data.action is SellerProductAction.show
    if await own_product(ctx, query, callback_data.id, callback_data.page) is None:
        return
    product = await ctx.products.set_visible(ctx.user, callback_data.id, visible)
    path = await ctx.products.category_path(product.category_id)
    if not visible:
        callback_answer.text = _("The product is hidden from the catalog.")
    elif any(not c.is_active for c in path):
        callback_answer.text = _(
            "Shown, but its category is hidden: customers see it once an admin shows the category."
        )
        callback_answer.show_alert = True
    else:
        callback_answer.text = _("The product is back in the catalog.")
    page = callback_data.page
    screen = await manage_product(ctx, product, page, pressed_on=query.message, state=state)
    await show(query, screen)


async def on_product_delete(query: CallbackQuery, callback_data: SellerProductCb, ctx: Ctx) -> None:
    product = await own_product(ctx, query, callback_data.id, callback_data.page)
    if product is not None:
        await show(query, delete_ask_screen(product, callback_data.page))


async def on_product_delete_confirm(
    query: CallbackQuery,
    callback_data: SellerProductCb,
    ctx: Ctx,
    callback_answer: CallbackAnswer,
    state: FSMContext,
) -> None:
    if await own_product(ctx, query, callback_data.id, callback_data.page) is None:
        return
    product = await ctx.products.delete(ctx.user, callback_data.id)
    if (await state.get_data()).get("product_id") == callback_data.id:
        await leave_dialog(state, query)  # an edit of it left open elsewhere ends too
    callback_answer.text = _("The product is deleted.")
    if callback_data.page == FROM_CARD:  # where the card was opened from
        card = await card_of_manage(product.id, query.message, state)
        back = card_back(card or ProductCb(id=product.id), product.category_id)
        await show(query, await origin_page(ctx, state, back, query))
        return
    await show(query, await my_products(ctx, callback_data.page))


def build_router() -> Router:
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
    return router
