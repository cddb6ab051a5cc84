"""Refund screens: what to refund, how the money goes back, whether the goods came back;
and the lines an order card shows for the refunds made."""

from decimal import Decimal

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import OrdersCb, OrderScope
from keyboards.callback_owner import RefundCb, RefundStep, listed_code
from keyboards.common import back_label, button, cancel_button
from keyboards.formatting import day, money, quote, trim, within_quotes
from keyboards.orders import open_order_kb, order_press, seller_list
from models import Order, OrderItem, PaymentMethod, Refund, Role
from screens.base import Screen
from services.order_rules import late_payment
from services.refunds import TELEGRAM, RefundPlan, refunded_units
from services.validation import grouped

MAX_UNIT_BUTTONS = 10  # more units left: the admin types the number


def _back(order_id: int, origin: OrdersCb) -> list:
    return [button(back_label(), order_press(order_id, origin))]


def _press(order_id: int, origin: OrdersCb, **fields) -> RefundCb:
    """A refund step's button; it carries the order list the card's Back returns to."""
    listed = listed_code(origin.status)
    return RefundCb(order=order_id, scope=origin.scope, listed=listed, page=origin.page, **fields)


def refund_over_screen(reason: str, order_id: int, origin: OrdersCb) -> Screen:
    """The quantity question ends without a refund (the order was refunded meanwhile):
    why, and the way back to the order, as every other refund answer has one."""
    return Screen("⚠️ " + reason, open_order_kb(order_id, origin))


def menu_screen(plan: RefundPlan, origin: OrdersCb, locale: str) -> Screen:
    order, cur = plan.order, plan.order.currency
    out = ["↩️ <b>" + _("Refund order #{id}").format(id=order.id) + "</b>", ""]
    out.append(_("Paid: {total}").format(total=money(order.total, cur, locale)))
    if plan.done:
        out.append(_("Refunded so far: {sum}").format(sum=money(plan.refunded, cur, locale)))
    out.extend(_units_lines(order, plan.units_done))
    if plan.lines:
        out.append("")
        out.append(_("Refund the whole order, or one line:"))
    if order.payment_method is PaymentMethod.stars and plan.lines:
        out.append(
            "ℹ️ "
            + _(
                "Telegram returns a Stars payment only in full. A refund of one line is "
                "recorded here; settle it with the customer yourself."
            )
        )
    rest = money(plan.rest, cur, locale)
    rows = [
        [
            button(
                "↩️ " + _("Whole order ({sum})").format(sum=rest),
                _press(order.id, origin, step=RefundStep.ask),
            )
        ]
    ]
    for item in plan.lines:
        # What is left of the line: its units not refunded yet and what they give back.
        left = money(plan.share(item), cur, locale)
        label = f"{trim(item.name, 24)} × {plan.left(item)} ({left})"
        press = _press(order.id, origin, item=item.id, step=RefundStep.ask)
        rows.append([button(label, press)])
    rows.append(_back(order.id, origin))
    return Screen("\n".join(out), InlineKeyboardMarkup(inline_keyboard=rows))


def _how(plan: RefundPlan, item: OrderItem | None) -> str:
    if plan.order.total == 0:
        return _("Nothing was paid for this order (a promo code covered it): nothing goes back.")
    if plan.via(item) == TELEGRAM:
        return _("The Stars go back to the customer's Stars balance now.")
    method = plan.order.payment_method
    if method is PaymentMethod.stars:
        if item is None:
            return _(
                "Part of this payment was refunded already, and Telegram returns Stars only "
                "in full: settle the rest with the customer yourself. The bot records it."
            )
        return _(
            "Telegram can't return part of a Stars payment: settle this with the customer "
            "yourself. The bot records the refund."
        )
    if method is PaymentMethod.provider:
        return _("Return the money in your payment provider's dashboard; the bot records it.")
    return _("Return the cash to the customer; the bot records the refund.")


def _units_lines(order: Order, units: dict[int, int]) -> list[str]:
    """ "Tea: 2 of 3 refunded" for each line refunded in part so far."""
    return [
        "↩️ "
        + _("{name}: {done} of {quantity} refunded").format(
            name=quote(i.name, 40), done=units[i.id], quantity=i.quantity
        )
        for i in order.items
        if 0 < units.get(i.id, 0) < i.quantity
    ]


def units_screen(
    plan: RefundPlan, item: OrderItem, origin: OrdersCb, error: str | None = None
) -> Screen:
    """How many units of a line with several left to refund: a button each, or typed."""
    order, left = plan.order, plan.left(item)
    out = [f"⚠️ {error}", ""] if error else []
    out.append(
        _("How many of “{name}” to refund? Ordered {quantity}, {left} not refunded yet.").format(
            name=within_quotes(item.name, 60), quantity=item.quantity, left=left
        )
    )
    out.append(_("Tap a number or send it."))
    numbers = [
        button(str(n), _press(order.id, origin, item=item.id, qty=n, step=RefundStep.ask))
        for n in range(1, min(left, MAX_UNIT_BUTTONS) + 1)
    ]
    rows = [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
    rows.append([button(back_label(), _press(order.id, origin, step=RefundStep.menu))])
    rows.append([cancel_button()])
    return Screen("\n".join(out), InlineKeyboardMarkup(inline_keyboard=rows))


def ask_screen(
    plan: RefundPlan, item: OrderItem | None, qty: int, origin: OrdersCb, locale: str
) -> Screen:
    order, cur = plan.order, plan.order.currency
    line, units = plan.target(item, qty)  # None: it comes to the rest of the order
    amount = plan.share(line, units) if line else plan.rest
    if item is not None:
        what = _what(item.name, qty or plan.left(item), item.quantity)
        ask = _("Refund {sum} for {what} of order #{id}?").format(
            sum=money(amount, cur, locale), what=what, id=order.id
        )
    else:
        ask = _("Refund {sum} for the whole order #{id}?").format(
            sum=money(amount, cur, locale), id=order.id
        )
    out = [ask, _how(plan, line)]

    def do(restock: bool) -> RefundCb:
        return _press(
            order.id,
            origin,
            item=item.id if item else 0,
            qty=qty,
            step=RefundStep.do,
            restock=restock,
            seen=len(plan.done),
            in_shop=not plan.ask_stock,
        )

    if plan.late:
        out.append(
            _("It was cancelled before this payment arrived: its items went back on sale then.")
        )
        rows = [[button("↩️ " + _("Yes, refund"), do(False))]]
    elif plan.ask_stock:
        out.append("")
        out.append(_("Did the goods come back to you?"))
        rows = [
            [button("📦 " + _("Refund: returned to stock"), do(True))],
            [button("🗑 " + _("Refund: not returned (damaged, digital)"), do(False))],
        ]
    else:
        out.append(_("The items go back on sale."))
        rows = [[button("↩️ " + _("Yes, refund"), do(True))]]
    # Back to the quantity when there was one to choose, else to what to refund.
    several = item is not None and plan.left(item) > 1
    back = _press(
        order.id,
        origin,
        item=item.id if several and item else 0,
        step=RefundStep.ask if several else RefundStep.menu,
    )
    rows.append([button(back_label(), back)])
    return Screen("\n".join(out), InlineKeyboardMarkup(inline_keyboard=rows))


def _what(name: str, units: int, quantity: int) -> str:
    """A line's name, with the units when they are not all of it: "Tea × 2"."""
    return quote(name, 60) if units >= quantity else f"{quote(name, 60)} × {units}"


def refund_lines(order: Order, refunds: list[Refund], locale: str) -> list[str]:
    """The refunds an order card lists (customers see them in their order history)."""
    items = {i.id: i for i in order.items}
    out = []
    for r in refunds:
        item = items.get(r.order_item_id or 0)
        if r.order_item_id is None:
            what = _("whole order")
        elif item is None:
            what = ""
        else:
            what = _what(trim(item.name, 40), r.quantity or item.quantity, item.quantity)
        out.append(
            "↩️ "
            + _("Refunded {sum} ({what}), {date}").format(
                sum=money(r.amount, order.currency, locale),
                what=what,
                date=day(r.created_at, locale),
            )
        )
    if late_payment(order):  # nobody may forget it: the customer's money is the shop's
        out.append("💳 " + _("Paid after it was cancelled: the payment goes back (↩️ Refund)."))
    return out + _units_lines(order, refunded_units(order.items, refunds))


def customer_refund_screen(
    order: Order, amount: Decimal, item_name: str | None, via: str, locale: str, units: int = 0
) -> Screen:
    """The customer hears of a refund, in their language (`units`: some of the line's)."""
    sum_ = money(amount, order.currency, locale)
    if order.total == 0:  # a promo code had covered it: nothing to give back
        if item_name and units:
            text = _(
                "Order #{id}: the shop took back {units} of “{name}”. Nothing was charged for them."
            ).format(id=order.id, units=units, name=within_quotes(item_name, 60))
        elif item_name:
            text = _("Order #{id}: the shop took back “{name}”. Nothing was charged for it.")
            text = text.format(id=order.id, name=within_quotes(item_name, 60))
        else:
            text = _("Order #{id}: the shop took the order back. Nothing was charged for it.")
            text = text.format(id=order.id)
        return Screen("↩️ " + text, open_order_kb(order.id, OrderScope.mine))
    if item_name and units:
        text = _("Order #{id}: {sum} refunded for {units} of “{name}”.").format(
            id=order.id, sum=sum_, units=units, name=within_quotes(item_name, 60)
        )
    elif item_name:
        text = _("Order #{id}: {sum} refunded for “{name}”.").format(
            id=order.id, sum=sum_, name=within_quotes(item_name, 60)
        )
    else:
        text = _("Order #{id}: {sum} refunded.").format(id=order.id, sum=sum_)
    if via == TELEGRAM and order.paid_amount:  # all of the charge, in Stars as paid
        text += " " + _("{stars} ⭐ are back on your Stars balance.").format(
            stars=grouped(order.paid_amount)
        )
    elif via == TELEGRAM:
        text += " " + _("The Stars are back on your Stars balance.")
    else:
        text += " " + _("The shop returns the money to you; write /paysupport with any question.")
    return Screen("↩️ " + text, open_order_kb(order.id, OrderScope.mine))


def seller_refund_screen(
    order: Order,
    items: list[OrderItem],
    seller_role: Role,
    locale: str,
    *,
    units: dict[int, int],
    left_shop: bool,
    restocked: bool,
) -> Screen:
    """To a seller of refunded lines: before shipping, not to ship them; after, whether
    the goods came back on sale."""
    scope = seller_list(seller_role)
    if not left_shop:
        heading = _("Order #{id} was refunded before shipping: don't ship these items.")
        heading += " " + _("They are back on sale.")
    elif restocked:
        heading = _("Order #{id}: these items were refunded and came back; they are on sale again.")
    else:
        heading = _("Order #{id}: these items were refunded and did not come back to stock.")
    lines = [f"• {quote(i.name, 60)} × {units[i.id]}" for i in items]
    text = "↩️ " + heading.format(id=order.id) + "\n" + "\n".join(lines)
    return Screen(text, open_order_kb(order.id, scope))
