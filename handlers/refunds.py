"""Refunds by admins: the whole order or one line (some of its units), and whether the
goods came back."""

from functools import partial

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.context import Ctx
from handlers.filters import NotCommand
from handlers.states import RefundStates, begin_dialog, end_dialog
from jobs.notify import notify, tell_sellers
from keyboards.callback_data import OrderAction, OrderCb, OrdersCb, OrderScope
from keyboards.callback_owner import RefundCb, RefundStep
from keyboards.formatting import money
from screens.base import domain_message, show, tell
from screens.orders import card_screen
from screens.refunds import (
    ask_screen,
    customer_refund_screen,
    menu_screen,
    refund_lines,
    refund_over_screen,
    seller_refund_screen,
    units_screen,
)
from services.errors import DomainError
from services.refunds import LINE_GONE, RefundService, check_units
from services.texts import N_


async def on_order_refund(query: CallbackQuery, callback_data: OrderCb, ctx: Ctx) -> None:
    """The order card's Refund button (and an old "Yes, refund" one): what to refund."""
    plan = await RefundService(ctx.session).plan(ctx.user, callback_data.id)
    await show(query, menu_screen(plan, callback_data.origin, ctx.locale))


async def on_refund_menu(
    query: CallbackQuery, callback_data: RefundCb, ctx: Ctx, state: FSMContext, raw_state: str
) -> None:
    plan = await RefundService(ctx.session).plan(ctx.user, callback_data.order)
    if raw_state == RefundStates.quantity.state:
        await end_dialog(state)  # Back from typing a quantity
    await show(query, menu_screen(plan, callback_data.origin, ctx.locale))


async def on_refund_ask(
    query: CallbackQuery, callback_data: RefundCb, ctx: Ctx, state: FSMContext, raw_state: str
) -> None:
    cb = callback_data
    plan = await RefundService(ctx.session).plan(ctx.user, cb.order)
    item = plan.item(cb.item) if cb.item else None
    if cb.item and item is None:
        raise DomainError(LINE_GONE)
    if item is not None and not cb.qty and plan.left(item) > 1:
        # How many? A button each, or a typed number (this state takes it).
        data = {"order": cb.order, "item": item.id, "scope": cb.scope.value}
        data |= {"listed": cb.origin.status, "page": cb.page}
        await begin_dialog(state, RefundStates.quantity, data, query)
        await show(query, units_screen(plan, item, cb.origin))
        return
    if item is not None:
        check_units(plan, item, cb.qty)  # a forged quantity stops here
    if raw_state == RefundStates.quantity.state:
        await end_dialog(state)
    await show(query, ask_screen(plan, item, cb.qty, cb.origin, ctx.locale))


async def on_quantity_input(message: Message, ctx: Ctx, state: FSMContext) -> None:
    """A typed quantity; anything else (a word, 0, more than is left, a sticker) gets the
    question again with what it wants, and nothing changes."""
    data = await state.get_data()
    origin = OrdersCb(
        scope=OrderScope(data["scope"]), status=data.get("listed", ""), page=data.get("page", 1)
    )
    try:
        plan = await RefundService(ctx.session).plan(ctx.user, data["order"])
        item = plan.item(data["item"])
        if item is None:
            raise DomainError(LINE_GONE)
    except DomainError as exc:  # refunded meanwhile: the question is over (not raised,
        await end_dialog(state)  # so that the ended dialog commits), and the order is a tap away
        await show(message, refund_over_screen(domain_message(exc), data["order"], origin))
        return
    text = (message.text or "").strip()
    qty = int(text) if text.isdecimal() and len(text) < 10 else 0
    if not 1 <= qty <= plan.left(item):
        error = _("Send a whole number from 1 to {left}.").format(left=plan.left(item))
        await show(message, units_screen(plan, item, origin, error))
        return
    await end_dialog(state)
    await show(message, ask_screen(plan, item, qty, origin, ctx.locale))


async def on_refund_do(
    query: CallbackQuery,
    callback_data: RefundCb,
    ctx: Ctx,
    bot: Bot,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    cb = callback_data
    service = RefundService(ctx.session)
    done = await service.refund(
        ctx.user, cb.order, cb.item, cb.restock, cb.qty, cb.seen, in_shop=cb.in_shop
    )
    order = done.order
    customer = await ctx.orders.customer(order)
    if done.charge_id is not None:
        try:
            # Still inside the refund's transaction: if Telegram says no, nothing changed.
            await bot.refund_star_payment(
                user_id=customer.telegram_id, telegram_payment_charge_id=done.charge_id
            )
        except TelegramAPIError as exc:
            raise DomainError(
                N_("Telegram refused the refund: {error}"), error=exc.message
            ) from None
    await ctx.commit()  # "refunded" only once it is recorded
    amount = money(done.refund.amount, order.currency, ctx.locale)
    callback_answer.text = _("Order #{id}: {sum} refunded.").format(id=order.id, sum=amount)
    name = done.item.name if done.item is not None else None
    some = done.quantity if done.item is not None and done.quantity < done.item.quantity else 0

    def render(locale: str):
        refund = done.refund
        return customer_refund_screen(order, refund.amount, name, refund.via, locale, some)

    # The customer first: the refund is made, whatever showing the card to the admin does
    # (not an admin refunding their own order: the answer and the card say it).
    if customer.id != ctx.user.id:
        await notify(bot, ctx.session, i18n, customer, render)
    seller_screen = partial(
        seller_refund_screen,
        units=done.units,
        left_shop=done.left_shop,
        restocked=done.refund.restocked,
    )
    await tell_sellers(
        bot, i18n, ctx.orders, order, seller_screen, besides={ctx.user.id}, lines=done.units
    )
    refunds = await service.of_order(order.id)
    view = ctx.orders.view(ctx.user, order)
    await tell(
        query,
        card_screen(view, cb.origin, ctx.locale, refund_lines(order, refunds, ctx.locale)),
    )


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(
        on_order_refund,
        OrderCb.filter(F.action.in_({OrderAction.refund, OrderAction.refund_yes})),
    )
    router.callback_query.register(on_refund_menu, RefundCb.filter(F.step == RefundStep.menu))
    router.callback_query.register(on_refund_ask, RefundCb.filter(F.step == RefundStep.ask))
    router.callback_query.register(on_refund_do, RefundCb.filter(F.step == RefundStep.do))
    router.message.register(on_quantity_input, StateFilter(RefundStates.quantity), NotCommand())
    return router
