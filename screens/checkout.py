"""The checkout dialog's screens: one per step, the summary, and the placed order."""

from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import OrderScope
from keyboards.cart import address_kb, comment_kb, step_kb, summary_kb
from keyboards.formatting import fits, money, quote
from keyboards.orders import open_order_kb
from models import Order, PaymentMethod
from screens.base import Screen
from screens.cart import promo_lines
from screens.orders import order_text, payment_label
from services.cart import Cart
from services.promo import PromoQuote


def _step(number: int, text: str) -> str:
    return "🧾 <b>" + _("Checkout") + f"</b> · {number}/4\n\n" + text


def name_screen() -> Screen:
    return Screen(_step(1, _("Who will receive the order? Send a name.")), step_kb())


def phone_text() -> str:
    """The phone step goes with a reply keyboard (`phone_kb`): only that offers "share
    my phone"."""
    return _step(
        2, _("Your phone number: tap “Share my phone” below or type it, e.g. +79991234567.")
    )


def address_screen(pickup_available: bool) -> Screen:
    text = _("Send the delivery address.")
    if pickup_available:
        text = _("Send the delivery address, or choose pickup.")
    return Screen(_step(3, text), address_kb(pickup_available))


def comment_screen() -> Screen:
    text = _("Anything we should know? Send a comment, or tap “No comment”.")
    return Screen(_step(4, text), comment_kb())


def summary_screen(
    cart: Cart,
    data: dict,
    *,
    method: PaymentMethod,
    stars: int | None,
    currency: str,
    locale: str,
    promo: PromoQuote | None = None,
) -> Screen:
    """What Confirm will order: the cart's lines, the contact the customer typed (`data`,
    the dialog's), how it is paid (`stars`: the amount when in Telegram Stars)."""
    cur = currency
    out = [*promo_lines(promo, cart.total, cur, locale), ""]
    out.append(
        _("Recipient: {name}, {phone}").format(name=quote(data["name"]), phone=data["phone"])
    )
    if data.get("address") is None:
        out.append(_("Delivery: pickup"))
    else:
        out.append(_("Delivery: {address}").format(address=quote(data["address"])))
    if data.get("comment"):
        out.append(_("Comment: {comment}").format(comment=quote(data["comment"])))
    label = payment_label(method)
    if stars is not None:
        label += f" ({stars} ⭐)"
    out.append(_("Payment: {method}").format(method=label))
    # 20 long names, an address and a comment can pass Telegram's limit: shorter names.
    for name_limit in (60, 30, 12):
        lines = [
            f"{n}. {quote(line.name, name_limit)}: {line.quantity} × "
            f"{money(line.price, cur, locale)} = {money(line.total, cur, locale)}"
            for n, line in enumerate(cart.lines, 1)
        ]
        text = "\n".join(["🧾 <b>" + _("Check your order") + "</b>", "", *lines, *out])
        if fits(text):
            break
    return Screen(text, summary_kb())


def placed_screen(order: Order, locale: str) -> Screen:
    if order.payment_method is PaymentMethod.cod:
        heading = "✅ " + _("Thank you! Your order is placed; you pay on delivery.")
    else:
        heading = "✅ " + _("Thank you! Your order is placed. Pay it with the invoice below.")
    text = order_text(order, list(order.items), locale, heading)
    return Screen(text, open_order_kb(order.id, OrderScope.mine))


def invoice_failed_screen(order_id: int) -> Screen:
    text = "⚠️ " + _("We couldn't send the invoice just now. Open the order and press “💳 Pay”.")
    return Screen(text, open_order_kb(order_id, OrderScope.mine))
