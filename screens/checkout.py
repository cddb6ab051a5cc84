"""The checkout dialog's screens: one per step, the summary, and the placed order."""

from collections.abc import Mapping
from decimal import Decimal

from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import OrderScope
from keyboards.cart import address_kb, card_limit_kb, comment_kb, name_kb, phone_kb, summary_kb
from keyboards.formatting import fits, money, quote
from keyboards.orders import open_order_kb
from models import Order, OrderStatus, PaymentMethod
from screens.base import Screen
from screens.cart import promo_lines
from screens.orders import order_text, payment_label
from screens.payments import card_limit_text
from services.cart import Cart, CartLine
from services.payments import AboveMaximum, CardLimit, InvoiceRefused
from services.promo import PromoQuote
from services.validation import grouped

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


def _step(number: int, text: str) -> str:
    return "🧾 <b>" + _("Placing your order") + f"</b> · {number}/4\n\n" + text


def _now(text: str, value: str | None) -> str:
    """A step's question, and the answer given before (Back, or Edit on the summary),
    which its Keep button keeps."""
    if value is None:
        return text
    return text + "\n\n" + _("Now: {value}. Send another, or tap “Keep”.").format(value=value)


def name_screen(current: str | None = None) -> Screen:
    text = _now(_("Who will receive the order? Send a name."), quote(current) if current else None)
    return Screen(_step(1, text), name_kb(bool(current)))


def name_kept_screen(name: str) -> Screen:
    """The name step's message once Keep is pressed (the phone step needs a new one)."""
    return Screen("👤 " + quote(name), None)


def phone_text(current: str | None = None) -> str:
    """The phone step goes with a reply keyboard (`phone_kb`): only that offers "share
    my phone"."""
    text = _("Your phone number: tap “Share my phone” below or type it, e.g. +79991234567.")
    return _step(2, _now(text, current))


def address_screen(pickup_available: bool, data: dict | None = None) -> Screen:
    """`data`: the dialog's; an address chosen before (None: pickup) can be kept."""
    text = _("Send the delivery address.")
    if pickup_available:
        text = _("Send the delivery address, or choose pickup.")
    chosen = data is not None and "address" in data
    now = None
    if chosen:
        now = _("pickup") if data["address"] is None else quote(data["address"])
    return Screen(_step(3, _now(text, now)), address_kb(pickup_available, keep=chosen))


def comment_screen(current: str | None = None) -> Screen:
    text = _("Anything we should know? Send a comment, or tap “No comment”.")
    text = _now(text, quote(current) if current else None)
    return Screen(_step(4, text), comment_kb(bool(current)))


def step_markup(index: int, data: dict, pickup_available: bool, dialog: int) -> Markup:
    """The buttons of step `index` (0: name ... 4: the summary, or the order a card can't
    pay) with what was answered so far (`data`): sent again under a message
    saying what was wrong with an input."""
    if index == 1:
        return phone_kb(keep=bool(data.get("phone")))
    if index == 2:
        return address_kb(pickup_available, keep="address" in data)
    if index == 3:
        return comment_kb(bool(data.get("comment")))
    if index == 4 and data.get("card_limit") is not None:
        return card_limit_kb(data["card_limit"] or None)
    if index == 4:
        return summary_kb(dialog)
    return name_kb(bool(data.get("name")))


def wrong_input_text(index: int) -> str:
    """What step `index` (as in `step_markup`) says to a sticker, a photo..."""
    return [
        _("Please send the name as text."),
        _("Please type your phone number or tap “Share my phone”."),
        _("Please send the address as text."),
        _("Please send the comment as text."),
        _("Please use the buttons."),
    ][index]


def summary_screen(
    cart: Cart,
    data: dict,
    *,
    method: PaymentMethod,
    stars: int | None,
    currency: str,
    locale: str,
    promo: PromoQuote | None = None,
    free: bool = False,
    dialog: int = 0,
    was: Mapping[int, Decimal] | None = None,
) -> Screen:
    """What Confirm will order: the cart's lines, the contact the customer typed (`data`,
    the dialog's), how it is paid (`stars`: the amount when in Telegram Stars; `free`:
    the promo code covers the whole order, so nothing is). `was`: the price a line's
    product had when the customer last saw it, where it changed since."""
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
        label += f" ({grouped(stars)} ⭐)"
    if free:
        label = _("nothing to pay, the promo code covers it all")
    out.append(_("Payment: {method}").format(method=label))
    # 20 long names, an address and a comment can pass Telegram's limit: shorter names.
    for name_limit in (60, 30, 12):
        lines = [
            f"{n}. {quote(line.name, name_limit)}: {line.quantity} × "
            f"{money(line.price, cur, locale)}{_was(line, was, cur, locale)} = "
            f"{money(line.total, cur, locale)}"
            for n, line in enumerate(cart.lines, 1)
        ]
        text = "\n".join(["🧾 <b>" + _("Check your order") + "</b>", "", *lines, *out])
        if fits(text):
            break
    return Screen(text, summary_kb(dialog))


def card_limit_screen(exc: CardLimit, code: str | None, locale: str) -> Screen:
    """Instead of the summary: a total a card can't pay, under the smallest card payment
    or over the largest (Telegram would refuse its invoice). Nothing is ordered; the cart
    stays. `code`: the promo code whose removal would make it payable."""
    if isinstance(exc, AboveMaximum):
        advice = _("Take something out of the cart, or order it in parts.")
    elif code is not None:
        advice = _("Add something to the cart, or order without the promo code {code}.")
    else:
        advice = _("Add something to the cart to reach it.")
    text = "⚠️ " + card_limit_text(exc, locale) + "\n\n" + advice.format(code=code)
    return Screen(text, card_limit_kb(code))


def placed_screen(order: Order, locale: str) -> Screen:
    if order.status is OrderStatus.paid and not order.total:
        heading = "✅ " + _(
            "Thank you! Your order is placed, and the promo code {code} covers all of it: "
            "there is nothing to pay."
        ).format(code=order.promo_code)
    elif order.payment_method is PaymentMethod.cod:
        heading = "✅ " + _("Thank you! Your order is placed; you pay on delivery.")
    else:
        heading = "✅ " + _("Thank you! Your order is placed. Pay it with the invoice below.")
    text = order_text(order, list(order.items), locale, heading)
    return Screen(text, open_order_kb(order.id, OrderScope.mine))


def invoice_failed_screen(order_id: int, *, refused: bool = False) -> Screen:
    """The order is placed but its invoice didn't go out: Telegram was unreachable (Pay
    later), or it refused this invoice (`refused`: trying again won't help)."""
    if refused:
        text = "⚠️ " + _(InvoiceRefused.message)
    else:
        text = "⚠️ " + _("We couldn't send the invoice just now. Open the order and press “💳 Pay”.")
    return Screen(text, open_order_kb(order_id, OrderScope.mine))


def _was(line: CartLine, was: Mapping[int, Decimal] | None, currency: str, locale: str) -> str:
    """After the unit price of a line whose price changed since the customer saw it:
    " (⚠️ was RUB 100.00)"."""
    old = (was or {}).get(line.product_id)
    if old is None or old == line.price:
        return ""
    return " (⚠️ " + _("was {old}").format(old=money(old, currency, locale)) + ")"
