"""My orders, the order card, cancelling, status changes by staff, refunds, and the
notifications they send."""

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.common import leave_dialog
from jobs.notify import notify
from keyboards.callback_data import MenuAction, MenuCb, OrderAction, OrderCb, OrdersCb, OrderScope
from keyboards.formatting import fits, money, quote
from keyboards.orders import confirm_kb, open_order_kb, order_kb, orders_kb, status_label
from models import Order, OrderItem, OrderStatus, PaymentMethod, Role, User
from screens.base import Screen, show
from services.errors import DomainError, NotAllowed
from services.orders import OrderService, clamp_page, line_total
from services.texts import N_

log = logging.getLogger(__name__)


def payment_label(method: PaymentMethod) -> str:
    return {
        PaymentMethod.stars: _("Telegram Stars"),
        PaymentMethod.provider: _("card"),
        PaymentMethod.cod: _("on delivery"),
    }[method]


def order_text(order: Order, items: list[OrderItem], locale: str, heading: str = "") -> str:
    """The order card; `items` are all lines for the customer and admins, a seller's own
    lines for a seller."""
    # 20 long names, an address and a comment can pass Telegram's limit: shorter names.
    for name_limit in (60, 30, 12):
        text = _order_text(order, items, locale, heading, name_limit)
        if fits(text):
            break
    return text


def _order_text(
    order: Order, items: list[OrderItem], locale: str, heading: str, name_limit: int
) -> str:
    cur = order.currency
    out = [heading] if heading else []
    out.append(
        "📦 <b>" + _("Order #{id}").format(id=order.id) + "</b> · " + status_label(order.status)
    )
    out.append(order.created_at.strftime("%Y-%m-%d %H:%M UTC"))
    out.append("")
    for n, item in enumerate(items, 1):
        out.append(
            f"{n}. {quote(item.name, name_limit)}: {item.quantity} × "
            f"{money(item.unit_price, cur, locale)} = {money(item.line_total, cur, locale)}"
        )
    if len(items) == len(order.items):
        total = money(order.total, cur, locale)
        out.append("<b>" + _("Total: {total}").format(total=total) + "</b>")
    else:
        subtotal = money(line_total(items), cur, locale)
        out.append("<b>" + _("Your lines: {total}").format(total=subtotal) + "</b>")
    out.append("")
    out.append(_("Payment: {method}").format(method=payment_label(order.payment_method)))
    out.append(
        _("Recipient: {name}, {phone}").format(name=quote(order.contact_name), phone=order.phone)
    )
    if order.address is None:
        out.append(_("Delivery: pickup"))
    else:
        out.append(_("Delivery: {address}").format(address=quote(order.address, 300)))
    if order.comment:
        out.append(_("Comment: {comment}").format(comment=quote(order.comment, 500)))
    return "\n".join(out)


def visible_items(viewer: User, order: Order) -> list[OrderItem]:
    if order.user_id == viewer.id or viewer.role is Role.admin:
        return list(order.items)
    return [i for i in order.items if i.seller_id == viewer.id]


def card_screen(viewer: User, order: Order, scope: OrderScope, locale: str) -> Screen:
    own = order.user_id == viewer.id
    markup = order_kb(
        order,
        scope=scope,
        can_pay=own
        and order.status is OrderStatus.new
        and order.payment_method is not PaymentMethod.cod,
        can_cancel=own and order.status is OrderStatus.new,
        moves=OrderService.moves(order) if OrderService.is_staff_for(viewer, order) else (),
        can_refund=viewer.role is Role.admin and OrderService.refundable(order),
    )
    return Screen(order_text(order, visible_items(viewer, order), locale), markup)


# -- notifications: a blocked bot or a deleted account never breaks the order ---------------


async def notify_sellers(
    bot: Bot, i18n: I18n, service: OrderService, order: Order, paid: bool = False
) -> None:
    """Each seller with products in the order gets their lines, in their language: when
    it is placed, and again when it is paid."""
    for seller, items in await service.sellers(order):
        scope = OrderScope.all if seller.role is Role.admin else OrderScope.sales

        def render(locale: str, items=items, scope=scope) -> Screen:
            if paid:
                heading = "💰 " + _("Order #{id} is paid: it can be shipped.").format(id=order.id)
            else:
                heading = "🔔 " + _("New order with your products:")
            return Screen(order_text(order, items, locale, heading), open_order_kb(order.id, scope))

        await notify(bot, service.session, i18n, seller, render)


async def notify_customer(bot: Bot, i18n: I18n, service: OrderService, order: Order) -> None:
    def render(locale: str) -> Screen:
        text = "🔔 " + _("Order #{id} is now {status}.").format(
            id=order.id, status=status_label(order.status)
        )
        return Screen(text, open_order_kb(order.id, OrderScope.mine))

    await notify(bot, service.session, i18n, await service.customer(order), render)


# -- lists ------------------------------------------------------------------------------------


async def list_screen(
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
    scope: OrderScope,
    status: str = "",
    page: int = 1,
) -> Screen:
    service = OrderService(session)
    page = clamp_page(page)
    if scope is OrderScope.all and user.role is not Role.admin:
        raise NotAllowed()
    if scope is OrderScope.sales and user.role not in (Role.seller, Role.admin):
        raise NotAllowed()
    try:
        wanted = OrderStatus(status) if status else None
    except ValueError:
        wanted = None
    orders, has_next = await service.page(
        page=page,
        size=settings.page_size,
        customer=user if scope is OrderScope.mine else None,
        seller=user if scope is OrderScope.sales else None,
        status=wanted if scope is OrderScope.all else None,
    )
    title = {
        OrderScope.mine: _("My orders"),
        OrderScope.sales: _("Orders with my products"),
        OrderScope.all: _("All orders"),
    }[scope]
    if not orders:
        body = _("No orders here yet.")
    else:
        body = _("Page {page}. Choose an order:").format(page=page)
    labeled = [
        (o, f"#{o.id} · {money(o.total, o.currency, locale)} · {status_label(o.status)}")
        for o in orders
    ]
    extra = []
    if scope is OrderScope.mine:
        if user.role in (Role.seller, Role.admin):
            extra.append(("🏪 " + _("Orders with my products"), OrdersCb(scope=OrderScope.sales)))
        if user.role is Role.admin:
            extra.append(("🗂 " + _("All orders"), OrdersCb(scope=OrderScope.all)))
    else:
        extra.append(("📦 " + _("My orders"), OrdersCb(scope=OrderScope.mine)))
    markup = orders_kb(
        labeled, scope=scope, status=status, page=page, has_next=has_next, extra=extra
    )
    return Screen(f"📦 <b>{title}</b>\n\n{body}", markup)


async def cmd_orders(
    message: Message,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    settings: Settings,
    locale: str,
) -> None:
    await leave_dialog(state, message)
    await show(message, await list_screen(session, user, settings, locale, OrderScope.mine))


async def on_orders_menu(
    query: CallbackQuery, session: AsyncSession, user: User, settings: Settings, locale: str
) -> None:
    await show(query, await list_screen(session, user, settings, locale, OrderScope.mine))


async def on_orders_page(
    query: CallbackQuery,
    callback_data: OrdersCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    locale: str,
) -> None:
    screen = await list_screen(
        session,
        user,
        settings,
        locale,
        callback_data.scope,
        callback_data.status,
        callback_data.page,
    )
    await show(query, screen)


# -- the order card and its actions ------------------------------------------------------------


async def on_order_view(
    query: CallbackQuery, callback_data: OrderCb, session: AsyncSession, user: User, locale: str
) -> None:
    order = await OrderService(session).get(user, callback_data.id)
    await show(query, card_screen(user, order, callback_data.scope, locale))


async def on_order_cancel_ask(
    query: CallbackQuery, callback_data: OrderCb, session: AsyncSession, user: User
) -> None:
    order = await OrderService(session).get(user, callback_data.id)
    if order.user_id != user.id or order.status is not OrderStatus.new:
        raise DomainError(N_("Only a new, unpaid order can be cancelled."))
    text = _("Cancel order #{id}? Its items go back on sale.").format(id=order.id)
    markup = confirm_kb(order.id, OrderAction.cancel_yes, _("Yes, cancel it"), callback_data.scope)
    await show(query, Screen(text, markup))


async def on_order_cancel(
    query: CallbackQuery,
    callback_data: OrderCb,
    session: AsyncSession,
    user: User,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    order = await OrderService(session).cancel(user, callback_data.id)
    callback_answer.text = _("Order #{id} is cancelled.").format(id=order.id)
    await show(query, card_screen(user, order, callback_data.scope, locale))


async def on_order_status(
    query: CallbackQuery,
    callback_data: OrderCb,
    session: AsyncSession,
    user: User,
    bot: Bot,
    i18n: I18n,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        to = OrderStatus(callback_data.to)
    except ValueError:
        raise DomainError(N_("This status change is not possible now.")) from None
    service = OrderService(session)
    order = await service.set_status(user, callback_data.id, to)
    callback_answer.text = _("Order #{id} is now {status}.").format(
        id=order.id, status=status_label(order.status)
    )
    await show(query, card_screen(user, order, callback_data.scope, locale))
    await notify_customer(bot, i18n, service, order)


async def on_order_refund_ask(
    query: CallbackQuery, callback_data: OrderCb, session: AsyncSession, user: User
) -> None:
    service = OrderService(session)
    order = await service.get(user, callback_data.id)
    if user.role is not Role.admin:
        raise NotAllowed()
    if not service.refundable(order):
        raise DomainError(N_("This order can't be refunded."))
    text = _("Refund order #{id}? The Stars go back to the customer and the items go back on sale.")
    markup = confirm_kb(order.id, OrderAction.refund_yes, _("Yes, refund"), callback_data.scope)
    await show(query, Screen(text.format(id=order.id), markup))


async def on_order_refund(
    query: CallbackQuery,
    callback_data: OrderCb,
    session: AsyncSession,
    user: User,
    bot: Bot,
    i18n: I18n,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    service = OrderService(session)
    order = await service.refund(user, callback_data.id)
    customer = await service.customer(order)
    try:
        # Still inside the order's transaction: if Telegram says no, nothing is refunded.
        await bot.refund_star_payment(
            user_id=customer.telegram_id,
            telegram_payment_charge_id=order.telegram_payment_charge_id or "",
        )
    except TelegramAPIError as exc:
        raise DomainError(N_("Telegram refused the refund: {error}"), error=exc.message) from None
    callback_answer.text = _("Order #{id} is refunded.").format(id=order.id)
    await show(query, card_screen(user, order, callback_data.scope, locale))
    await notify_customer(bot, i18n, service, order)


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
        OrderAction.refund: on_order_refund_ask,
        OrderAction.refund_yes: on_order_refund,
    }
    for action, handler in actions.items():
        router.callback_query.register(handler, OrderCb.filter(F.action == action))
    return router
