"""Invoices, pre-checkout, successful payments and /paysupport.

Stock is reserved when the order is confirmed, so pre-checkout only has to check that
the reservation still stands (the order is new, not expired, the customer's, and the
invoice amount is the order's) before saying yes: one query, far inside Telegram's 10
seconds. A payment that arrives after the reservation expired is honoured when the units
are still there, else refunded (services/orders.py, `record_payment`).
"""

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, PreCheckoutQuery
from aiogram.utils.i18n import I18n

from handlers.common import card_problem, offer_invoice, send_invoice
from handlers.context import Ctx
from handlers.filters import CommentInput, NotCommand
from handlers.states import SupportStates, begin_dialog, end_dialog, leave_dialog
from jobs.notify import (
    notify_admins_banned_paid,
    notify_admins_refund,
    notify_admins_support,
    notify_sellers,
)
from keyboards.callback_data import OrderAction, OrderCb
from models import Order, OrderStatus
from screens.base import domain_message, show
from screens.cart import promo_problem
from screens.payments import (
    late_payment_text,
    paid_text,
    payment_not_recorded_text,
    paysupport_screen,
    promo_gone_screen,
    support_other_screen,
    support_sent_screen,
)
from screens.reservations import expired_refund_text, honoured_text
from services.errors import DomainError, NotSaved
from services.names import staff_name
from services.orders import PaymentOutcome
from services.payments import STARS, invoice_amount, invoice_currency, order_id_from
from services.promo import PromoService
from services.promo_rules import PromoRejected
from services.refunds import RefundService
from services.reservations import EXPIRED, hold_for_payment, utc_now
from services.texts import N_
from services.validation import visible

log = logging.getLogger(__name__)


async def on_order_pay(query: CallbackQuery, callback_data: OrderCb, ctx: Ctx, bot: Bot) -> None:
    order = await ctx.orders.payable(ctx.user.telegram_id, callback_data.id)
    await send_invoice(ctx, bot, order)


async def on_pre_checkout(query: PreCheckoutQuery, ctx: Ctx, bot: Bot) -> None:
    try:
        order_id = order_id_from(query.invoice_payload)
        if order_id is None:
            raise DomainError(N_("Order not found."))
        order = await ctx.orders.payable(query.from_user.id, order_id)
        method = order.payment_method
        stars_per_unit = ctx.settings.stars_per_unit
        expected = invoice_amount(order.total, method, order.currency, stars_per_unit)
        if (query.currency, query.total_amount) != (
            invoice_currency(method, order.currency),
            expected,
        ):
            raise DomainError(N_("This invoice is out of date: open the order and pay again."))
        # The promo code's use counts now, before the money moves (see services.promo).
        await PromoService(ctx.session).redeem(order)
        await hold_for_payment(ctx.session, order, utc_now())
    except PromoRejected as exc:
        await _promo_gone(query, ctx, bot, order, exc)
        return
    except DomainError as exc:
        await query.answer(ok=False, error_message=domain_message(exc))
        return
    await query.answer(ok=True)


async def _promo_gone(
    query: PreCheckoutQuery, ctx: Ctx, bot: Bot, order: Order, exc: PromoRejected
) -> None:
    """The order's code ran out, expired or was disabled after the customer saw the
    discount: no payment at the discounted price. The order goes back to its full price,
    the customer is told why and gets a new invoice (or cancels the order; the only way
    on when a card can't pay the full price)."""
    reason = promo_problem(exc, order.currency, ctx.locale)
    await query.answer(ok=False, error_message=reason)
    await PromoService(ctx.session).without_code(order)
    await ctx.commit()
    problem = card_problem(ctx, order.total, order.payment_method, order.currency)
    notice = promo_gone_screen(order, reason, ctx.locale, problem)
    await bot.send_message(ctx.user.telegram_id, notice.text, reply_markup=notice.markup)
    if problem is None:
        await offer_invoice(ctx, bot, order)


class PaymentReceived(Filter):
    """A successful_payment service message; passes it on as `payment`."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        if message.successful_payment is None:
            return False
        return {"payment": message.successful_payment}


class RefundReceived(Filter):
    """A refunded_payment service message."""

    async def __call__(self, message: Message) -> bool:
        return message.refunded_payment is not None


async def on_successful_payment(
    message: Message, payment: Any, ctx: Ctx, bot: Bot, i18n: I18n
) -> None:
    service = ctx.orders
    order_id = order_id_from(payment.invoice_payload) or 0
    try:
        # The customer is told "paid" only once it is recorded.
        order, outcome = await ctx.saved(
            service.record_payment(
                order_id,
                payment.telegram_payment_charge_id,
                payment.provider_payment_charge_id,
                payment.total_amount,
            )
        )
    except NotSaved:
        # The money moved but the shop could not record it: never a silent loss.
        log.error(
            "Payment %s for order %s could not be recorded",
            payment.telegram_payment_charge_id,
            order_id,
        )
        await message.answer(payment_not_recorded_text(payment.telegram_payment_charge_id))
        return
    if outcome is PaymentOutcome.duplicate:
        return  # Telegram sent the same payment again: it is already recorded
    if outcome in (PaymentOutcome.paid, PaymentOutcome.honoured):
        assert order is not None
        if outcome is PaymentOutcome.honoured:
            await message.answer(honoured_text(order.id))
        else:
            await message.answer(paid_text(order.id))
        # Prepaid orders ship once paid: the sellers learn it's time.
        late = outcome is PaymentOutcome.honoured  # they heard it had run out of time
        await notify_sellers(bot, i18n, service, order, paid=True, after_all=late)
        if ctx.user.is_banned:  # banned after pre-checkout: the shop decides, not the bot
            await notify_admins_banned_paid(bot, ctx.session, i18n, order.id, staff_name(ctx.user))
        return
    # Late: the order was cancelled (or paid already) before this payment arrived.
    refunded = again = False
    if payment.currency == STARS:
        try:
            refunded = await bot.refund_star_payment(
                user_id=message.from_user.id if message.from_user else message.chat.id,
                telegram_payment_charge_id=payment.telegram_payment_charge_id,
            )
        except TelegramAPIError as exc:
            # The same late payment delivered again (a second charge of a paid order is
            # stored nowhere): its Stars went back the first time, and the customer heard.
            refunded = again = "CHARGE_ALREADY_REFUNDED" in exc.message
            if not again:
                log.warning("Refund of late payment %s failed: %s", order_id, exc)
    if refunded and order is not None and order.status is OrderStatus.cancelled:
        await service.mark_refunded(order)
        await RefundService(ctx.session).record_late(order)  # the books and the audit log
    if not refunded:
        charge = payment.telegram_payment_charge_id
        await notify_admins_refund(bot, ctx.session, i18n, order_id, charge)
    if again:
        return
    if order is not None and order.cancel_reason == EXPIRED:
        await message.answer(expired_refund_text(order_id, refunded=bool(refunded)))
    else:
        await message.answer(late_payment_text(order_id, refunded=bool(refunded)))


async def on_refunded_payment(message: Message) -> None:
    """Telegram's note that a Stars payment went back (the refunds the shop makes are
    recorded when it makes them; /books checks Telegram's ledger against the orders).
    Handled so that it is not answered as a message the bot doesn't understand."""
    refund = message.refunded_payment
    assert refund is not None
    log.info("Telegram refunded payment %s", refund.telegram_payment_charge_id)


async def cmd_paysupport(message: Message, state: FSMContext) -> None:
    await leave_dialog(state, message)
    await begin_dialog(state, SupportStates.message, {}, message)
    await show(message, paysupport_screen())


async def on_support_message(
    message: Message, text: str, ctx: Ctx, state: FSMContext, bot: Bot, i18n: I18n
) -> None:
    if not visible(text):  # only blanks or zero-width characters: nothing to pass on
        await show(message, support_other_screen())
        return
    await end_dialog(state)
    await show(message, support_sent_screen())
    name = staff_name(ctx.user)
    await notify_admins_support(bot, ctx.session, i18n, ctx.user, name, text)


async def on_support_other(message: Message) -> None:
    await show(message, support_other_screen())


def build_router() -> Router:
    router = Router(name=__name__)
    router.pre_checkout_query.register(on_pre_checkout)
    router.callback_query.register(on_order_pay, OrderCb.filter(F.action == OrderAction.pay))
    router.message.register(on_successful_payment, PaymentReceived())
    router.message.register(on_refunded_payment, RefundReceived())
    # Included right after start: /paysupport works in any dialog (and leaves it).
    router.message.register(cmd_paysupport, Command("paysupport"), StateFilter("*"))
    asking = StateFilter(SupportStates.message)
    router.message.register(on_support_message, asking, CommentInput())
    router.message.register(on_support_other, asking, NotCommand())
    return router
