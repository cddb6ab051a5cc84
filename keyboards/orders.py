from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from keyboards.callback_data import OrderAction, OrderCb, OrdersCb, OrderScope
from keyboards.common import button, home_button, numbered_pager
from models import OrderStatus, Role


def status_label(status: OrderStatus) -> str:
    return {
        OrderStatus.new: "🆕 " + _("new"),
        OrderStatus.paid: "💰 " + _("paid"),
        OrderStatus.shipped: "🚚 " + _("shipped"),
        OrderStatus.delivered: "✅ " + _("delivered"),
        OrderStatus.cancelled: "✖️ " + _("cancelled"),
        OrderStatus.refunded: "↩️ " + _("refunded"),
    }[status]


def move_label(status: OrderStatus) -> str:
    return {
        OrderStatus.shipped: "🚚 " + _("Mark shipped"),
        OrderStatus.delivered: "✅ " + _("Mark delivered"),
        OrderStatus.cancelled: "✖️ " + _("Cancel the order"),
    }.get(status, str(status))


def orders_kb(
    orders: list[tuple[int, str]],
    *,
    scope: OrderScope,
    status: str,
    page: int,
    pages: int,
    extra: list[tuple[str, OrdersCb]],
) -> InlineKeyboardMarkup:
    """`orders`: (order id, its label); `extra` are links to the other order lists."""
    here = OrdersCb(scope=scope, status=status, page=page)
    rows = [[button(label, order_press(order_id, here))] for order_id, label in orders]
    nav = numbered_pager(page, pages, lambda n: OrdersCb(scope=scope, status=status, page=n))
    if nav:
        rows.append(nav)
    if scope is OrderScope.all:
        choices = [("", _("all")), *((s.value, status_label(s)) for s in OrderStatus)]
        filters = [
            button(("• " if value == status else "") + text, OrdersCb(scope=scope, status=value))
            for value, text in choices
        ]
        rows += [filters[i : i + 3] for i in range(0, len(filters), 3)]
    rows += [[button(text, cb)] for text, cb in extra]
    rows.append([home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def order_press(
    order_id: int, origin: OrdersCb, action: OrderAction = OrderAction.view, to: str = ""
) -> OrderCb:
    """A press on an order's card that keeps the list it came from (`origin`)."""
    return OrderCb(
        id=order_id,
        action=action,
        to=to,
        scope=origin.scope,
        listed=origin.status,
        page=origin.page,
    )


def order_kb(
    order_id: int,
    *,
    origin: OrdersCb,
    can_pay: bool,
    can_cancel: bool,
    moves: tuple[OrderStatus, ...],
    can_refund: bool,
    can_reorder: bool = False,
) -> InlineKeyboardMarkup:
    def act(action: OrderAction, to: str = "") -> OrderCb:
        return order_press(order_id, origin, action, to)

    rows = []
    if can_pay:
        rows.append([button("💳 " + _("Pay"), act(OrderAction.pay))])
    if can_cancel:
        rows.append([button("✖️ " + _("Cancel the order"), act(OrderAction.cancel))])
    # A customer's own new order offers its own Cancel (the staff move would repeat it).
    shown = [m for m in moves if not (can_cancel and m is OrderStatus.cancelled)]
    rows += [[button(move_label(m), act(OrderAction.status, m.value))] for m in shown]
    if can_refund:
        rows.append([button("↩️ " + _("Refund"), act(OrderAction.refund))])
    if can_reorder:
        rows.append([button("🔁 " + _("Order again"), act(OrderAction.reorder))])
    rows.append([button("⬅️ " + _("Orders"), origin), home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_kb(order_id: int, yes: OrderAction, yes_text: str, origin: OrdersCb, to: str = ""):
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(yes_text, order_press(order_id, origin, yes, to)),
                button(_("No"), order_press(order_id, origin)),
            ]
        ]
    )


def seller_list(role: Role) -> OrderScope:
    """The list a seller's notice opens an order from: an admin's (who hears of lines
    nobody else does) is all orders."""
    return OrderScope.all if role is Role.admin else OrderScope.sales


def open_order_kb(order_id: int, where: OrderScope | OrdersCb) -> InlineKeyboardMarkup:
    """Opens the order; its Back goes to `where` (a list, or the first page of a scope)."""
    origin = where if isinstance(where, OrdersCb) else OrdersCb(scope=where)
    press = order_press(order_id, origin)
    return InlineKeyboardMarkup(inline_keyboard=[[button("📦 " + _("Open the order"), press)]])
