"""What payments show: the invoice, the answers to a payment, /paysupport, and the
notice admins get when a payment needs a manual refund."""

from dataclasses import dataclass
from decimal import Decimal

from aiogram.types import LabeledPrice
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import OrderScope
from keyboards.common import cancel_kb
from keyboards.formatting import TEXT_LIMIT, money, quote, trim
from keyboards.orders import open_order_kb
from models import Order, PaymentMethod
from screens.base import Screen
from services.payments import CardLimit, invoice_amount, invoice_currency, payload


@dataclass(frozen=True, slots=True)
class Invoice:
    """The fields of sendInvoice for one order."""

    title: str
    description: str
    payload: str
    currency: str
    prices: list[LabeledPrice]
    provider_token: str | None


def invoice(order: Order, *, stars_per_unit: Decimal, provider_token: str | None) -> Invoice:
    method = order.payment_method
    title = _("Order #{id}").format(id=order.id)
    description = trim(", ".join(f"{i.name} × {i.quantity}" for i in order.items), 255) or title
    amount = invoice_amount(order.total, method, order.currency, stars_per_unit)
    prices = [LabeledPrice(label=title, amount=amount)]
    if order.discount and order.promo_code:
        discount = money(order.discount, order.currency, get_i18n().current_locale)
        note = _("Promo code {code}: −{amount}").format(code=order.promo_code, amount=discount)
        if method is PaymentMethod.stars:
            # Stars take exactly one price line: the discounted total, rounded up.
            description = trim(f"{note}. {description}", 255)
        else:
            # A provider shows the breakdown: the goods, then the discount as a negative
            # line, the two summing to the amount charged (in whole minor units).
            full = invoice_amount(order.total + order.discount, method, order.currency, 0)
            prices = [
                LabeledPrice(label=title, amount=full),
                LabeledPrice(label=trim(note, 64), amount=amount - full),
            ]
    return Invoice(
        title=title,
        description=description,
        payload=payload(order.id),
        currency=invoice_currency(method, order.currency),
        prices=prices,
        provider_token=provider_token
        if provider_token and method is PaymentMethod.provider
        else None,
    )


def card_limit_text(exc: CardLimit, locale: str) -> str:
    """'The largest card payment is RUB 700 000,00, and this order comes to ...'"""
    cur = exc.currency
    amounts = {
        exc.limit_name: money(exc.limit, cur, locale),
        "total": money(exc.total, cur, locale),
    }
    return _(exc.message).format(**amounts)


def promo_gone_screen(
    order: Order, reason: str, locale: str, problem: CardLimit | None = None
) -> Screen:
    """The order's promo code could not be counted at payment: full price now, with a new
    invoice; or `problem`: a card can't pay the full price, and cancelling is the way on."""
    if problem is None:
        then = _(
            "Order #{id} was not paid and the code is not applied: its total is {total} now. "
            "Pay with the new invoice below, or cancel the order from its card."
        ).format(id=order.id, total=money(order.total, order.currency, locale))
    else:
        then = _(
            "Order #{id} was not paid and the code is not applied, and a card can't pay its "
            "full price. {why} Cancel the order from its card, and order again."
        ).format(id=order.id, why=card_limit_text(problem, locale))
    return Screen("⚠️ " + reason + "\n" + then, open_order_kb(order.id, OrderScope.mine))


def paid_text(order_id: int) -> str:
    return "✅ " + _("Payment received, thank you! Order #{id} is paid.").format(id=order_id)


def payment_not_recorded_text(charge_id: str) -> str:
    """The payment went through, but the shop could not record it just now."""
    return "⚠️ " + _(
        "Your payment went through, but the shop could not record it just now. Please "
        "write to /paysupport and quote this payment id: <code>{charge}</code>"
    ).format(charge=quote(charge_id, 100))


def late_payment_text(order_id: int, *, refunded: bool) -> str:
    """A payment for an order no longer awaiting one (cancelled, or paid already)."""
    if refunded:
        text = _("Order #{id} was no longer awaiting payment, so your Stars were returned.")
    else:
        text = _(
            "Order #{id} was no longer awaiting payment. We will refund you; "
            "write /paysupport if you have questions."
        )
    return text.format(id=order_id)


def manual_refund_screen(order_id: int, charge_id: str) -> Screen:
    text = _("⚠️ A payment for order #{id} needs a manual refund (charge {charge}).")
    return Screen(text.format(id=order_id, charge=charge_id))


def banned_buyer_paid_screen(order_id: int, buyer: str) -> Screen:
    """Admins learn that a customer banned after they began paying has paid: the order is
    recorded as paid like any other, and it is for the shop to ship it or refund it."""
    text = "⚠️ " + _(
        "{buyer}, who is banned, paid order #{id}: the payment is recorded and the order is "
        "paid. Ship it, or refund it from its card."
    ).format(buyer=quote(buyer, 100), id=order_id)
    return Screen(text, open_order_kb(order_id, OrderScope.all))


def paysupport_screen() -> Screen:
    return Screen(
        "💬 <b>"
        + _("Payment support")
        + "</b>\n\n"
        + _(
            "Something wrong with a payment? Send one message: the order number and what "
            "happened. The shop's admins get it and write to you in Telegram. Orders "
            "cancelled before they ship are refunded in full; Telegram Stars go back to "
            "your Stars balance. Open /orders to see your orders."
        ),
        cancel_kb(),
    )


def support_sent_screen() -> Screen:
    return Screen("✅ " + _("Sent to the shop's admins: they will write to you in Telegram."))


def support_other_screen() -> Screen:
    return Screen(_("Please send your message as text."), cancel_kb())


def support_request_screen(customer_id: int, name: str, username: str | None, text: str) -> Screen:
    """What admins get: who writes (a link that opens their chat) and the message."""
    who = f'<a href="tg://user?id={customer_id}">{quote(name, 64)}</a>'
    if username:
        who += f" (@{quote(username)})"
    head = _("Payment support: {who}, id <code>{id}</code>, writes:").format(
        who=who, id=customer_id
    )
    return Screen("💬 " + head + "\n\n" + quote(text, TEXT_LIMIT - 300))
