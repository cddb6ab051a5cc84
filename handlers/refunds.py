"""Refunds by admins: the whole order or one line, and whether the goods came back."""

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.context import Ctx
from jobs.notify import notify
from keyboards.callback_data import OrderAction, OrderCb
from keyboards.callback_owner import RefundCb, RefundStep
from keyboards.formatting import money
from screens.base import show
from screens.orders import card_screen
from screens.refunds import ask_screen, customer_refund_screen, menu_screen, refund_lines
from services.errors import DomainError
from services.refunds import RefundService
from services.texts import N_


async def on_order_refund(query: CallbackQuery, callback_data: OrderCb, ctx: Ctx) -> None:
    """The order card's Refund button (and an old "Yes, refund" one): what to refund."""
    plan = await RefundService(ctx.session).plan(ctx.user, callback_data.id)
    await show(query, menu_screen(plan, callback_data.scope, ctx.locale))


async def on_refund_menu(query: CallbackQuery, callback_data: RefundCb, ctx: Ctx) -> None:
    plan = await RefundService(ctx.session).plan(ctx.user, callback_data.order)
    await show(query, menu_screen(plan, callback_data.scope, ctx.locale))


async def on_refund_ask(query: CallbackQuery, callback_data: RefundCb, ctx: Ctx) -> None:
    plan = await RefundService(ctx.session).plan(ctx.user, callback_data.order)
    item = plan.item(callback_data.item) if callback_data.item else None
    if callback_data.item and item is None:
        raise DomainError(N_("This line can't be refunded alone now. Open the order again."))
    await show(query, ask_screen(plan, item, callback_data.scope, ctx.locale))


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
    done = await service.refund(ctx.user, cb.order, cb.item, cb.restock)
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
    refunds = await service.of_order(order.id)
    view = ctx.orders.view(ctx.user, order)
    await show(
        query, card_screen(view, cb.scope, ctx.locale, refund_lines(order, refunds, ctx.locale))
    )
    name = done.item.name if done.item else None

    def render(locale: str):
        return customer_refund_screen(order, done.refund.amount, name, done.refund.via, locale)

    await notify(bot, ctx.session, i18n, customer, render)


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(
        on_order_refund,
        OrderCb.filter(F.action.in_({OrderAction.refund, OrderAction.refund_yes})),
    )
    router.callback_query.register(on_refund_menu, RefundCb.filter(F.step == RefundStep.menu))
    router.callback_query.register(on_refund_ask, RefundCb.filter(F.step == RefundStep.ask))
    router.callback_query.register(on_refund_do, RefundCb.filter(F.step == RefundStep.do))
    return router
