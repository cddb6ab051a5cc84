"""My orders, the order card, cancelling, status changes by staff, and "Order again"."""

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.common import cart_page
from handlers.context import Ctx
from handlers.states import leave_dialog
from jobs.notify import notify_customer, notify_sellers_cancelled
from keyboards.callback_data import MenuAction, MenuCb, OrderAction, OrderCb, OrdersCb, OrderScope
from models import Order, OrderStatus, Role
from screens.base import Screen, show, tell
from screens.orders import (
    cancel_ask_screen,
    card_screen,
    list_screen,
    staff_cancel_ask_screen,
    status_changed_text,
)
from screens.refunds import refund_lines
from screens.reservations import reordered_text
from services.access import can_sell
from services.errors import DomainError, NotAllowed
from services.order_rules import returned_unpaid_possible
from services.refunds import RefundService
from services.reorder import reorder
from services.texts import N_

# -- lists ------------------------------------------------------------------------------------


async def _list(ctx: Ctx, scope: OrderScope, status: str = "", page: int = 1) -> Screen:
    user = ctx.user
    if scope is OrderScope.all and user.role is not Role.admin:
        raise NotAllowed()
    if scope is OrderScope.sales and not can_sell(user):
        raise NotAllowed()
    try:
        wanted = OrderStatus(status) if status else None
    except ValueError:
        wanted = None
    found = await ctx.orders.page(
        page=page,
        size=ctx.settings.page_size,
        customer=user if scope is OrderScope.mine else None,
        seller=user if scope is OrderScope.sales else None,
        status=wanted if scope is OrderScope.all else None,
    )
    return list_screen(found, scope=scope, status=status, viewer_role=user.role, locale=ctx.locale)


async def cmd_orders(message: Message, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, message)
    await show(message, await _list(ctx, OrderScope.mine))


async def on_orders_menu(query: CallbackQuery, ctx: Ctx, state: FSMContext) -> None:
    await leave_dialog(state, query)
    await show(query, await _list(ctx, OrderScope.mine))


async def on_orders_page(query: CallbackQuery, callback_data: OrdersCb, ctx: Ctx) -> None:
    cb = callback_data
    await show(query, await _list(ctx, cb.scope, cb.status, cb.page))


# -- the order card and its actions ------------------------------------------------------------


async def _card(ctx: Ctx, order: Order, origin: OrdersCb) -> Screen:
    """The card, with the refunds made (the customer's order history shows them)."""
    view = ctx.orders.view(ctx.user, order)
    seen = {item.id for item in view.items}  # a seller: their own lines' refunds only
    refunds = [
        r
        for r in await RefundService(ctx.session).of_order(order.id)
        if r.order_item_id in seen or (r.order_item_id is None and len(seen) == len(order.items))
    ]
    lines = refund_lines(order, refunds, ctx.locale)
    return card_screen(view, origin, ctx.locale, lines)


async def on_order_view(query: CallbackQuery, callback_data: OrderCb, ctx: Ctx) -> None:
    order = await ctx.orders.get(ctx.user, callback_data.id)
    await show(query, await _card(ctx, order, callback_data.origin))


async def on_order_cancel_ask(query: CallbackQuery, callback_data: OrderCb, ctx: Ctx) -> None:
    order = await ctx.orders.get(ctx.user, callback_data.id)
    if order.user_id != ctx.user.id or order.status is not OrderStatus.new:
        raise DomainError(N_("Only a new, unpaid order can be cancelled."))
    await show(query, cancel_ask_screen(order.id, callback_data.origin))


async def on_order_cancel(
    query: CallbackQuery,
    callback_data: OrderCb,
    ctx: Ctx,
    bot: Bot,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    order = await ctx.orders.cancel(ctx.user, callback_data.id)
    await ctx.commit()  # "cancelled", to the customer and the sellers, only once it is
    callback_answer.text = _("Order #{id} is cancelled.").format(id=order.id)
    await tell(query, await _card(ctx, order, callback_data.origin))
    await notify_sellers_cancelled(bot, i18n, ctx.orders, order, ctx.user)


async def on_order_status(
    query: CallbackQuery,
    callback_data: OrderCb,
    ctx: Ctx,
    bot: Bot,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        to = OrderStatus(callback_data.to)
    except ValueError:
        raise DomainError(N_("This status change is not possible now.")) from None
    returned = False  # a shipped cash order cancelled: its parcel came back unpaid
    if to is OrderStatus.cancelled:
        order = await ctx.orders.movable(ctx.user, callback_data.id, to)  # else: why not
        returned = returned_unpaid_possible(order)
        if callback_data.action is OrderAction.status:
            screen = staff_cancel_ask_screen(order.id, callback_data.origin, shipped=returned)
            await show(query, screen)
            return
    order = await ctx.orders.set_status(ctx.user, callback_data.id, to)
    await ctx.commit()  # the new status is told only once it is recorded
    callback_answer.text = status_changed_text(order)
    await tell(query, await _card(ctx, order, callback_data.origin))
    await notify_customer(bot, i18n, ctx.orders, order, ctx.user)
    if order.status is OrderStatus.cancelled:
        await notify_sellers_cancelled(bot, i18n, ctx.orders, order, ctx.user, returned=returned)


async def on_order_reorder(
    query: CallbackQuery, callback_data: OrderCb, ctx: Ctx, callback_answer: CallbackAnswer
) -> None:
    """“Order again”: the lines go into the cart, and the cart is shown to check out."""
    result = await reorder(ctx.session, ctx.user, callback_data.id)
    callback_answer.text = reordered_text(result.added, result.missing, result.full)
    callback_answer.show_alert = bool(result.missing) or result.full
    if result.added:
        await show(query, await cart_page(ctx))


def build_commands_router() -> Router:
    """/orders works in any dialog (it leaves it, like /start): included before them."""
    router = Router(name=__name__ + ".commands")
    router.message.register(cmd_orders, Command("orders"), StateFilter("*"))
    return router


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_orders_menu, MenuCb.filter(F.action == MenuAction.orders))
    router.callback_query.register(on_orders_page, OrdersCb.filter())
    actions = {
        OrderAction.view: on_order_view,
        OrderAction.cancel: on_order_cancel_ask,
        OrderAction.cancel_yes: on_order_cancel,
        OrderAction.status: on_order_status,
        OrderAction.status_yes: on_order_status,
        OrderAction.reorder: on_order_reorder,
    }
    for action, handler in actions.items():
        router.callback_query.register(handler, OrderCb.filter(F.action == action))
    return router
