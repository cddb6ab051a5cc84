"""Invoices, pre-checkout, successful payments and /paysupport.

Stock is reserved when the order is confirmed, so pre-checkout only has to check that
the reservation still stands (the order is new, the customer's, and the invoice amount
is the order's) before saying yes: one query, far inside Telegram's 10 seconds.
"""

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, LabeledPrice, Message, PreCheckoutQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from handlers.common import leave_dialog
from handlers.orders import notify_sellers
from jobs.notify import notify
from keyboards.callback_data import OrderAction, OrderCb
from keyboards.formatting import trim
from models import Order, OrderStatus, PaymentMethod, User
from screens.base import Screen
from services.errors import DomainError
from services.orders import OrderService, PaymentOutcome
from services.payments import STARS, invoice_amount, invoice_currency, order_id_from, payload
from services.texts import N_
from services.users import UserService

log = logging.getLogger(__name__)


async def send_invoice(bot: Bot, chat_id: int, order: Order, settings: Settings) -> None:
    method = order.payment_method
    title = _("Order #{id}").format(id=order.id)
    description = trim(", ".join(f"{i.name} × {i.quantity}" for i in order.items), 255) or title
    token = settings.payment_provider_token
    await bot.send_invoice(
        chat_id=chat_id,
        title=title,
        description=description,
        payload=payload(order.id),
        currency=invoice_currency(method, order.currency),
        prices=[
            LabeledPrice(
                label=title,
                amount=invoice_amount(order.total, method, order.currency, settings.stars_per_unit),
            )
        ],
        provider_token=token.get_secret_value()
        if token and method is PaymentMethod.provider
        else None,
    )


async def on_order_pay(
    query: CallbackQuery,
    callback_data: OrderCb,
    session: AsyncSession,
    user: User,
    bot: Bot,
    settings: Settings,
) -> None:
    order = await OrderService(session).payable(user.telegram_id, callback_data.id)
    await send_invoice(bot, user.telegram_id, order, settings)


async def on_pre_checkout(
    query: PreCheckoutQuery, session: AsyncSession, settings: Settings
) -> None:
    try:
        order_id = order_id_from(query.invoice_payload)
        if order_id is None:
            raise DomainError(N_("Order not found."))
        order = await OrderService(session).payable(query.from_user.id, order_id)
        method = order.payment_method
        expected = invoice_amount(order.total, method, order.currency, settings.stars_per_unit)
        if (query.currency, query.total_amount) != (
            invoice_currency(method, order.currency),
            expected,
        ):
            raise DomainError(N_("This invoice is out of date: open the order and pay again."))
    except DomainError as exc:
        reason = _(exc.message).format(**exc.params) if exc.params else _(exc.message)
        await query.answer(ok=False, error_message=reason)
        return
    await query.answer(ok=True)


class PaymentReceived(Filter):
    """A successful_payment service message; passes it on as `payment`."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        if message.successful_payment is None:
            return False
        return {"payment": message.successful_payment}


async def on_successful_payment(
    message: Message,
    payment: Any,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
) -> None:
    service = OrderService(session)
    order_id = order_id_from(payment.invoice_payload) or 0
    order, outcome = await service.record_payment(
        order_id,
        payment.telegram_payment_charge_id,
        payment.provider_payment_charge_id,
        payment.total_amount,
    )
    if outcome is PaymentOutcome.duplicate:
        return  # Telegram sent the same payment again: it is already recorded
    if outcome is PaymentOutcome.paid:
        assert order is not None
        await message.answer(
            "✅ " + _("Payment received, thank you! Order #{id} is paid.").format(id=order.id)
        )
        # Prepaid orders ship once paid: the sellers learn it's time.
        await notify_sellers(bot, i18n, service, order, paid=True)
        return
    # Late: the order was cancelled (or paid already) before this payment arrived.
    refunded = False
    if payment.currency == STARS:
        try:
            refunded = await bot.refund_star_payment(
                user_id=message.from_user.id if message.from_user else message.chat.id,
                telegram_payment_charge_id=payment.telegram_payment_charge_id,
            )
        except TelegramAPIError as exc:
            log.warning("Refund of late payment %s failed: %s", order_id, exc)
    if refunded and order is not None and order.status is OrderStatus.cancelled:
        await service.mark_refunded(order)
    if refunded:
        text = _("Order #{id} was no longer awaiting payment, so your Stars were returned.")
    else:
        text = _(
            "Order #{id} was no longer awaiting payment. We will refund you; "
            "write /paysupport if you have questions."
        )
        await _tell_admins(session, bot, i18n, order_id, payment.telegram_payment_charge_id)
    await message.answer(text.format(id=order_id))


async def _tell_admins(
    session: AsyncSession, bot: Bot, i18n: I18n, order_id: int, charge_id: str
) -> None:
    def render(locale: str) -> Screen:
        text = _("⚠️ A payment for order #{id} needs a manual refund (charge {charge}).")
        return Screen(text.format(id=order_id, charge=charge_id))

    for admin in await UserService(session).admins():
        await notify(bot, session, i18n, admin, render)


async def cmd_paysupport(message: Message, state: FSMContext) -> None:
    await leave_dialog(state, message)
    await message.answer(
        "💬 <b>"
        + _("Payment support")
        + "</b>\n\n"
        + _(
            "Something wrong with a payment? Write to us here: tell us the order number "
            "and what happened. Orders cancelled before they ship are refunded in full; "
            "Telegram Stars go back to your Stars balance. Open /orders to see your orders."
        )
    )


def build_router() -> Router:
    router = Router(name=__name__)
    router.pre_checkout_query.register(on_pre_checkout)
    router.callback_query.register(on_order_pay, OrderCb.filter(F.action == OrderAction.pay))
    router.message.register(on_successful_payment, PaymentReceived())
    # Included right after start: /paysupport works in any dialog (and leaves it).
    router.message.register(cmd_paysupport, Command("paysupport"), StateFilter("*"))
    return router
