"""The rules of an order's life, as pure functions of the order and who looks at it:
who may see it, who may move it to which status, what can be refunded, which lines a
viewer sees, and which buttons its card offers. No database here: `OrderService`
applies these rules to the rows it reads and changes."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from models import Order, OrderItem, OrderStatus, PaymentMethod, Role, User
from services.errors import DomainError
from services.texts import N_

# What sellers and admins may do to an order, by its status. Cash-on-delivery orders
# ship unpaid; cancelling returns the stock.
STAFF_MOVES: dict[OrderStatus, tuple[OrderStatus, ...]] = {
    OrderStatus.new: (OrderStatus.shipped, OrderStatus.cancelled),
    OrderStatus.paid: (OrderStatus.shipped,),
    OrderStatus.shipped: (OrderStatus.delivered,),
}
REFUNDABLE = (OrderStatus.paid, OrderStatus.shipped, OrderStatus.delivered)
# An order whose lines a customer may put in the cart again ("Order again").
FINISHED = (OrderStatus.cancelled, OrderStatus.delivered, OrderStatus.refunded)
NO_DISCOUNT = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """A line of the checkout summary the customer saw: what Confirm must order."""

    product_id: int
    quantity: int
    price: Decimal


class SummaryOutdated(DomainError):
    message = N_("Your cart has changed since the summary. Check it and confirm again.")


def same_lines(summary: Sequence[SummaryLine], quantities: dict[int, int]) -> bool:
    """The cart ({product id: quantity}) holds exactly the summary's lines."""
    return {line.product_id: line.quantity for line in summary} == quantities and len(
        summary
    ) == len(quantities)


def may_see(viewer: User, order: Order) -> bool:
    if order.user_id == viewer.id or viewer.role is Role.admin:
        return True
    return viewer.role is Role.seller and any(i.seller_id == viewer.id for i in order.items)


def sole_seller(order: Order) -> int | None:
    """The seller whose goods are every line of the order; None when they are several
    sellers' (or the shop's own): then only the shop's admins move the order."""
    sellers = {i.seller_id for i in order.items}
    return sellers.pop() if len(sellers) == 1 else None


def is_staff_for(viewer: User, order: Order) -> bool:
    """May change the whole order's status: an admin, or a seller who owns every line
    of it (one seller must not cancel or ship another seller's goods)."""
    if viewer.role is Role.admin:
        return True
    return viewer.role is Role.seller and sole_seller(order) == viewer.id


def moves(order: Order) -> tuple[OrderStatus, ...]:
    allowed = STAFF_MOVES.get(order.status, ())
    if order.status is OrderStatus.new and order.payment_method is not PaymentMethod.cod:
        # Prepaid orders ship only once paid.
        allowed = tuple(m for m in allowed if m is not OrderStatus.shipped)
    if returned_unpaid_possible(order):
        allowed = (*allowed, OrderStatus.cancelled)
    return allowed


def returned_unpaid_possible(order: Order) -> bool:
    """A cash-on-delivery parcel on its way may come back refused: nothing was paid, so
    the shop cancels it (its items back on sale), no refund to record."""
    return order.status is OrderStatus.shipped and order.payment_method is PaymentMethod.cod


def late_payment(order: Order) -> bool:
    """A cancelled order whose payment arrived later and is still the shop's (a returned
    one makes the order *refunded*): its items went back on sale at the cancel."""
    return order.status is OrderStatus.cancelled and order.telegram_payment_charge_id is not None


def refundable(order: Order) -> bool:
    """Money was taken: a payment was recorded, or cash on delivery was handed over. Or
    nothing was to be taken (a promo code covered the order, paid when placed): its
    "refund" of nothing is how the shop takes such an order back. Or a payment arrived
    after the order was cancelled and was kept (its automatic return failed, or a card
    payment, which only the shop can return): `late_payment`."""
    if late_payment(order):
        return True
    if order.status not in REFUNDABLE:
        return False
    if order.total == 0:
        return True
    if order.payment_method is PaymentMethod.cod:
        return order.status is OrderStatus.delivered
    return order.telegram_payment_charge_id is not None


def visible_items(viewer: User, order: Order) -> list[OrderItem]:
    """All lines for the customer and admins, a seller's own lines for a seller."""
    if order.user_id == viewer.id or viewer.role is Role.admin:
        return list(order.items)
    return [i for i in order.items if i.seller_id == viewer.id]


def line_total(items: list[OrderItem]) -> Decimal:
    return sum((i.unit_price * i.quantity for i in items), Decimal(0))


def shown_amounts(order: Order, items: list[OrderItem]) -> tuple[Decimal, Decimal, bool]:
    """(total, discount, whole) of the lines a viewer sees: the order's own total and
    promo discount when they see every line (`whole`); else the sum of their lines and no
    discount. A promo code's discount is the order's: it may cover some lines only, be a
    fixed amount or be capped, and no line records its share, so a seller of some lines
    is shown what their lines were sold for, never another seller's amounts."""
    if len(items) == len(order.items):
        return order.total, order.discount or NO_DISCOUNT, True
    return line_total(items), NO_DISCOUNT, False


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as one viewer may see and act on it: what its card shows."""

    order: Order
    items: list[OrderItem]  # the lines this viewer sees
    total: Decimal  # of those lines (shown_amounts): a seller's share, or the whole order
    discount: Decimal  # the promo code's part of `total`; 0 for a seller's share
    can_pay: bool
    can_cancel: bool
    moves: tuple[OrderStatus, ...]
    can_refund: bool
    can_reorder: bool = False
    own: bool = True  # the viewer is the order's customer


def view(viewer: User, order: Order) -> OrderView:
    own = order.user_id == viewer.id
    items = visible_items(viewer, order)
    total, discount, _whole = shown_amounts(order, items)
    return OrderView(
        order=order,
        items=items,
        total=total,
        discount=discount,
        can_pay=own
        and order.status is OrderStatus.new
        and order.payment_method is not PaymentMethod.cod,
        can_cancel=own and order.status is OrderStatus.new,
        moves=moves(order) if is_staff_for(viewer, order) else (),
        can_refund=viewer.role is Role.admin and refundable(order),
        can_reorder=own and order.status in FINISHED,
        own=own,
    )
