"""The cart: /cart, the menu button, "Add to cart" on a product card, − / + / remove."""

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.common import cart_page
from handlers.context import Ctx
from handlers.states import leave_dialog
from keyboards.callback_data import CartAction, CartAddCb, CartCb, MenuAction, MenuCb
from screens.base import show
from services.errors import NotFound


async def cmd_cart(message: Message, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, message)
    await show(message, await cart_page(ctx))


async def on_menu_cart(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, query)
    await show(query, await cart_page(ctx))


async def on_cart_show(query: CallbackQuery, ctx: Ctx) -> None:
    await show(query, await cart_page(ctx))


async def on_cart_add(
    query: CallbackQuery,
    callback_data: CartAddCb,
    ctx: Ctx,
    callback_answer: CallbackAnswer,
) -> None:
    # The product card stays as it is; the answer says what happened.
    try:
        quantity = await ctx.cart.add(ctx.user, callback_data.product_id)
    except NotFound:
        raise SkipHandler from None  # the fallback shows where the card was opened from
    callback_answer.text = _("Added to the cart ({quantity} in it).").format(quantity=quantity)


async def on_cart_change(
    query: CallbackQuery, callback_data: CartCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    cart, user, product_id = ctx.cart, ctx.user, callback_data.product_id
    if callback_data.action is CartAction.inc:
        await cart.change(user, product_id, 1)
    elif callback_data.action is CartAction.dec:
        await cart.change(user, product_id, -1)
    elif callback_data.action is CartAction.remove:
        await cart.remove(user, product_id)
        callback_answer.text = _("Removed.")
    else:
        await cart.clear(user)
        callback_answer.text = _("The cart is empty now.")
    await show(query, await cart_page(ctx))


def build_commands_router() -> Router:
    """/cart works in any dialog (it leaves it, like /start): included before them."""
    router = Router(name=__name__ + ".commands")
    router.message.register(cmd_cart, Command("cart"), StateFilter("*"))
    return router


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_menu_cart, MenuCb.filter(F.action == MenuAction.cart))
    router.callback_query.register(on_cart_show, CartCb.filter(F.action == CartAction.show))
    router.callback_query.register(on_cart_add, CartAddCb.filter())
    router.callback_query.register(
        on_cart_change,
        CartCb.filter(
            F.action.in_({CartAction.inc, CartAction.dec, CartAction.remove, CartAction.clear})
        ),
    )
    return router
