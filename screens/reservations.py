"""What customers and sellers hear when a reservation runs out, and what a payment that
arrives after it is told."""

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import OrderAction, OrderCb
from keyboards.common import button
from keyboards.orders import open_order_kb, seller_list
from models import Order, OrderItem, PaymentMethod, Role
from screens.base import Screen
from screens.orders import order_text
from services.cart import CART_FULL
from services.order_rules import sole_seller


def quote_plain(name: str) -> str:
    return name if len(name) <= 30 else name[:29] + "…"


def reorder_kb(order_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("🔁 " + _("Order again"), OrderCb(id=order_id, action=OrderAction.reorder))],
            [button("📦 " + _("Open the order"), OrderCb(id=order_id))],
        ]
    )


def expired_reason(order: Order) -> str:
    if order.payment_method is PaymentMethod.cod and sole_seller(order) is None:
        return _("The shop did not confirm order #{id} in time, so it is cancelled.")
    if order.payment_method is PaymentMethod.cod:
        return _("The seller did not confirm order #{id} in time, so it is cancelled.")
    return _("Order #{id} was not paid in time, so it is cancelled.")


def expired_screen(order: Order) -> Screen:
    """To the customer, when the sweep cancelled their order."""
    text = "⌛ " + expired_reason(order).format(id=order.id)
    text += "\n" + _("Its items went back on sale. Press “Order again” to put them in your cart.")
    return Screen(text, reorder_kb(order.id))


def seller_expired_screen(
    order: Order, items: list[OrderItem], seller_role: Role, locale: str
) -> Screen:
    """To a seller of a cash-on-delivery order nobody shipped in time, or of a prepaid one
    its customer did not pay in time."""
    scope = seller_list(seller_role)
    if order.payment_method is PaymentMethod.cod:
        heading = _(
            "Order #{id} was not confirmed in time and is cancelled; its items are back on sale."
        )
    else:
        heading = _("Order #{id} was not paid in time and is cancelled: nothing to ship.")
    heading = "⌛ " + heading.format(id=order.id)
    text = order_text(order, items, locale, heading, customer=False)
    return Screen(text, open_order_kb(order.id, scope))


def honoured_text(order_id: int) -> str:
    return "✅ " + _(
        "Your payment arrived after order #{id} had expired, but its items were still "
        "there: the order is paid and goes ahead. Thank you!"
    ).format(id=order_id)


def expired_refund_text(order_id: int, *, refunded: bool) -> str:
    if refunded:
        text = _(
            "Your payment arrived after order #{id} had expired and some of its items "
            "can't be ordered now (sold or taken off sale), so your Stars were returned "
            "in full."
        )
    else:
        text = _(
            "Your payment arrived after order #{id} had expired and some of its items "
            "can't be ordered now (sold or taken off sale). The shop will refund you; "
            "write /paysupport if you have questions."
        )
    return "↩️ " + text.format(id=order_id)


def reordered_text(added: int, missing: list[str], full: bool = False) -> str:
    """The answer to “Order again”: how much went into the cart, and what did not (`full`:
    some lines found no room in a full cart)."""
    if full:
        text = _(CART_FULL)
        return _("Added to your cart what fits.") + " " + text if added else text
    if not added:
        return _("None of these items can be ordered now.")
    if missing:
        # A callback answer holds 200 characters.
        names = ", ".join(quote_plain(n) for n in missing[:3]) + ("…" if len(missing) > 3 else "")
        return _("Added to your cart. Not available now (or fewer left): {names}").format(
            names=names
        )
    return _("Added to your cart. Check it and check out.")
