"""The orders' screens: the order card, the lists, the confirmations, and the notices
sellers and customers get about an order."""

from collections.abc import Sequence

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import gettext as ngettext  # (singular, plural, n=): a plural msgid

from keyboards.callback_data import OrderAction, OrdersCb, OrderScope
from keyboards.formatting import fits, moment, money, number, quote
from keyboards.orders import (
    confirm_kb,
    open_order_kb,
    order_kb,
    orders_kb,
    seller_list,
    status_label,
)
from models import Order, OrderItem, OrderStatus, PaymentMethod, Role
from models.order import CANCELLED_EXPIRED
from screens.base import Screen
from services.order_lists import OrdersPage
from services.order_rules import STAFF_MOVES, OrderView, shown_amounts, sole_seller


def payment_label(method: PaymentMethod) -> str:
    return {
        PaymentMethod.stars: _("Telegram Stars"),
        PaymentMethod.provider: _("card"),
        PaymentMethod.cod: _("on delivery"),
    }[method]


def hold_lines(order: Order, customer: bool = True, locale: str = "en") -> list[str]:
    """How long a new order holds its items, or why the sweep cancelled it. A cash order
    is confirmed by its seller, or by the shop's admins when it holds several sellers'
    goods (`sole_seller`); a prepaid one waits for its customer's payment (`customer`:
    the reader is that customer, told to pay)."""
    cod = order.payment_method is PaymentMethod.cod
    by_seller = sole_seller(order) is not None
    if order.status is OrderStatus.new and order.expires_at is not None:
        until = moment(order.expires_at, locale)
        if cod and by_seller:
            waits = _("Waits for the seller's confirmation until {time}")
        elif cod:
            waits = _("Waits for the shop's confirmation until {time}")
        elif customer:
            waits = _("Items reserved until {time}: pay before then")
        else:
            waits = _("Waits for the customer's payment until {time}")
        return ["⏳ " + waits.format(time=until)]
    if order.status is OrderStatus.cancelled and order.cancel_reason == CANCELLED_EXPIRED:
        if cod and by_seller:
            return ["⌛ " + _("Cancelled: the seller did not confirm it in time")]
        if cod:
            return ["⌛ " + _("Cancelled: the shop did not confirm it in time")]
        return ["⌛ " + _("Cancelled: not paid in time")]
    return []


def order_text(
    order: Order,
    items: list[OrderItem],
    locale: str,
    heading: str = "",
    tail: Sequence[str] = (),
    *,
    customer: bool = True,
) -> str:
    """The order card; `items` are all lines for the customer and admins, a seller's own
    lines for a seller; `tail`: lines under it (the refunds made, oldest first);
    `customer`: the reader is the order's customer (else its seller or an admin)."""
    # 20 long names, an address and a comment can pass Telegram's limit: shorter names.
    for name_limit in (60, 30, 12):
        text = _order_text(order, items, locale, heading, name_limit, customer)
        if fits(text + _tail(tail)):
            return text + _tail(tail)
    # Still too long: the oldest lines under it give way to how many there were.
    for hidden in range(1, len(tail) + 1):
        more = "↩️ " + ngettext(
            "… and {count} earlier refund", "… and {count} earlier refunds", n=hidden
        ).format(count=hidden)
        if fits(shorter := text + _tail([more, *tail[hidden:]])):
            return shorter
    return text


def _tail(lines: Sequence[str]) -> str:
    return "\n\n" + "\n".join(lines) if lines else ""


def _order_text(
    order: Order,
    items: list[OrderItem],
    locale: str,
    heading: str,
    name_limit: int,
    customer: bool,
) -> str:
    cur = order.currency
    out = [heading] if heading else []
    out.append(
        "📦 <b>" + _("Order #{id}").format(id=order.id) + "</b> · " + status_label(order.status)
    )
    out.append(moment(order.created_at, locale))
    out += hold_lines(order, customer, locale)
    out.append("")
    for n, item in enumerate(items, 1):
        out.append(
            f"{n}. {quote(item.name, name_limit)}: {item.quantity} × "
            f"{money(item.unit_price, cur, locale)} = {money(item.line_total, cur, locale)}"
        )
    total, discount, whole = shown_amounts(order, items)
    if whole:
        if discount and order.promo_code:
            out.append(
                "🏷 "
                + _("Promo code {code}: −{amount}").format(
                    code=order.promo_code, amount=money(discount, cur, locale)
                )
            )
        out.append("<b>" + _("Total: {total}").format(total=money(total, cur, locale)) + "</b>")
    else:
        out.append(
            "<b>" + _("Your lines: {total}").format(total=money(total, cur, locale)) + "</b>"
        )
        if order.status in STAFF_MOVES:  # a seller of some lines: who moves it
            out.append(
                "ℹ️ "
                + _(
                    "The order also holds other goods, so the shop's admins confirm, ship "
                    "or cancel it."
                )
            )
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


def card_screen(
    view: OrderView, origin: OrdersCb, locale: str, refunds: list[str] | None = None
) -> Screen:
    """`origin`: the list Back returns to; `refunds`: the lines telling the refunds made
    (screens.refunds.refund_lines)."""
    order = view.order
    markup = order_kb(
        order.id,
        origin=origin,
        can_pay=view.can_pay,
        can_cancel=view.can_cancel,
        moves=view.moves,
        can_refund=view.can_refund,
        can_reorder=view.can_reorder,
    )
    text = order_text(order, view.items, locale, tail=refunds or (), customer=view.own)
    return Screen(text, markup)


def list_screen(
    found: OrdersPage, *, scope: OrderScope, status: str, viewer_role: Role, locale: str
) -> Screen:
    """A page of one of the order lists, with links to the other lists the viewer has.
    Each order shows what its card shows the viewer: a seller of some of its lines, the
    total of those lines."""
    title = {
        OrderScope.mine: _("My orders"),
        OrderScope.sales: _("Orders with my products"),
        OrderScope.all: _("All orders"),
    }[scope]
    body = _("Choose an order:") if found.items else _("No orders here yet.")
    labeled = []
    for o in found.items:
        amount = money(found.amounts[o.id], o.currency, locale)
        labeled.append((o.id, f"{number(o.id)} · {amount} · {status_label(o.status)}"))
    extra = []
    if scope is OrderScope.mine:
        if viewer_role in (Role.seller, Role.admin):
            extra.append(("🏪 " + _("Orders with my products"), OrdersCb(scope=OrderScope.sales)))
        if viewer_role is Role.admin:
            extra.append(("🗂 " + _("All orders"), OrdersCb(scope=OrderScope.all)))
    else:
        extra.append(("📦 " + _("My orders"), OrdersCb(scope=OrderScope.mine)))
    markup = orders_kb(
        labeled, scope=scope, status=status, page=found.page, pages=found.pages, extra=extra
    )
    return Screen(f"📦 <b>{title}</b>\n\n{body}", markup)


def cancel_ask_screen(order_id: int, origin: OrdersCb) -> Screen:
    text = _("Cancel order #{id}? Its items go back on sale.").format(id=order_id)
    return Screen(text, confirm_kb(order_id, OrderAction.cancel_yes, _("Yes, cancel it"), origin))


def staff_cancel_ask_screen(order_id: int, origin: OrdersCb, *, shipped: bool = False) -> Screen:
    """The staff's Cancel asks first: the customer is told, and it can't be undone. A
    shipped cash-on-delivery order is cancelled when its parcel came back unpaid."""
    if shipped:
        text = _(
            "Cancel order #{id}? Only if its parcel came back unpaid: the customer is told, "
            "its items go back on sale, and it can't be undone."
        ).format(id=order_id)
    else:
        text = _(
            "Cancel order #{id}? The customer is told, its items go back on sale, and it "
            "can't be undone."
        ).format(id=order_id)
    yes = _("Yes, cancel it")
    markup = confirm_kb(order_id, OrderAction.status_yes, yes, origin, OrderStatus.cancelled.value)
    return Screen(text, markup)


def status_changed_text(order: Order) -> str:
    return _("Order #{id} is now {status}.").format(id=order.id, status=status_label(order.status))


# -- notices to the other side of an order -------------------------------------------------


def seller_notice_screen(
    order: Order,
    items: list[OrderItem],
    seller_role: Role,
    locale: str,
    *,
    paid: bool,
    after_all: bool = False,
) -> Screen:
    """A seller's lines of an order: when it is placed, and again when it is paid
    (`after_all`: paid late, after they heard it had run out of time). The button opens
    it from the seller's list (an admin's: all orders)."""
    admin = seller_role is Role.admin
    scope = seller_list(seller_role)
    by_seller = sole_seller(order) is not None
    if after_all:
        heading = "💰 " + _(
            "Order #{id} was paid after all (it had run out of time): it is on again."
        ).format(id=order.id)
    elif paid and (admin or by_seller):
        heading = "💰 " + _("Order #{id} is paid: it can be shipped.").format(id=order.id)
    elif paid:
        heading = "💰 " + _("Order #{id} is paid; the shop's admins ship it.").format(id=order.id)
    elif admin and not by_seller:
        heading = "🔔 " + _("New order: an admin ships or cancels it.")
    else:
        heading = "🔔 " + _("New order with your products:")
    text = order_text(order, items, locale, heading, customer=False)
    return Screen(text, open_order_kb(order.id, scope))


def seller_cancelled_screen(
    order: Order,
    items: list[OrderItem],
    seller_role: Role,
    locale: str,
    *,
    by_customer: bool,
    returned: bool = False,
) -> Screen:
    """To a seller of an order cancelled: a cash-on-delivery one before it shipped, or
    after (`returned`: its parcel came back unpaid); a prepaid one before it was paid."""
    scope = seller_list(seller_role)
    if returned:
        heading = _("Order #{id} was cancelled by the shop: its parcel came back unpaid.")
    elif order.payment_method is not PaymentMethod.cod:  # never paid: nothing to ship
        heading = _("Order #{id} was cancelled before it was paid: nothing to ship.")
    elif by_customer:
        heading = _("Order #{id} was cancelled by the customer: don't ship it.")
    else:
        heading = _("Order #{id} was cancelled by the shop: don't ship it.")
    heading = "✖️ " + heading.format(id=order.id) + " " + _("Its items are back on sale.")
    text = order_text(order, items, locale, heading, customer=False)
    return Screen(text, open_order_kb(order.id, scope))


def customer_notice_screen(order: Order) -> Screen:
    """The customer learns the order's new status."""
    return Screen("🔔 " + status_changed_text(order), open_order_kb(order.id, OrderScope.mine))
