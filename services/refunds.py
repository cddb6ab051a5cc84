"""Refunds: the whole order or one line (all its units or some, in several steps),
recorded, audited, and honest about the money.

Telegram's `refundStarPayment` returns a Stars charge only in full. So a Stars order is
refunded through Telegram only as a whole and only once; a refund of one line (of any
order) is recorded here and settled by the shop itself (cash, the provider's dashboard, or
in Stars some other way), and the screens say so. Whether refunded units go back on sale
is the admin's call once they may have left the shop (shipped, delivered); a paid order
that never left returns them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Order, OrderItem, OrderStatus, PaymentMethod, Refund, Role, User
from services.audit import AuditService
from services.errors import DomainError, NotAllowed
from services.line_discounts import paid_for
from services.order_hooks import goods_returned
from services.order_rules import REFUNDABLE, late_payment, refundable
from services.orders import OrderService
from services.reservations import utc_now
from services.stock import return_stock
from services.texts import N_
from services.validation import minor_unit

TELEGRAM = "telegram"  # Refund.via: refundStarPayment returned the Stars
MANUAL = "manual"  # the shop returns the money itself
CANT_REFUND = N_("This order can't be refunded.")
CHANGED = N_("The order has changed meanwhile. Open it again.")
LINE_GONE = N_("This line can't be refunded alone now. Open the order again.")


def refunded_units(items: Iterable[OrderItem], refunds: Iterable[Refund]) -> dict[int, int]:
    """Units refunded so far of each of an order's lines (a whole-order refund covers
    every unit; a line refund before revision 0011 covered the whole line)."""
    quantity = {i.id: i.quantity for i in items}
    done = list(refunds)
    if any(r.order_item_id is None for r in done):
        return quantity
    out = dict.fromkeys(quantity, 0)
    for r in done:
        if r.order_item_id in out:
            out[r.order_item_id] += r.quantity or quantity[r.order_item_id]
    return out


@dataclass(frozen=True, slots=True)
class RefundPlan:
    order: Order
    done: list[Refund]  # refunds recorded so far, oldest first
    lines: list[OrderItem]  # lines that may be refunded alone (some or all units left)
    ask_stock: bool  # the goods may have left the shop: the admin says if they came back
    late: bool  # a payment kept after the cancel: the whole of it goes back, no goods
    units_done: dict[int, int]  # item id: units refunded so far
    paid: dict[int, Decimal]  # item id: what the customer paid for the line (`paid_for`)

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.done), Decimal(0))

    @property
    def rest(self) -> Decimal:
        return self.order.total - self.refunded

    @property
    def step(self) -> Decimal:
        """Shares round to the order's currency's smallest unit (whole yen in JPY)."""
        return minor_unit(self.order.currency)

    def via(self, item: OrderItem | None) -> str:
        """How the money goes back: Telegram for a whole, untouched Stars payment."""
        order = self.order
        whole_stars = item is None and order.payment_method is PaymentMethod.stars
        charged = order.telegram_payment_charge_id is not None  # not a promo-paid order
        return TELEGRAM if whole_stars and charged and not self.done else MANUAL

    def item(self, item_id: int) -> OrderItem | None:
        return next((i for i in self.lines if i.id == item_id), None)

    def target(self, item: OrderItem | None, quantity: int) -> tuple[OrderItem | None, int]:
        """What refunding `quantity` units of `item` (0: all left; item None: the whole
        order) comes to: the last units of the last line open are the rest of the order
        (None, 0), with its wording and, for an untouched Stars order, Telegram's refund.
        The confirmation screen and the refund both go by this."""
        if item is None:
            return None, 0
        quantity = quantity or self.left(item)
        if [item] == self.lines and quantity == self.left(item):
            return None, 0
        return item, quantity

    def left(self, item: OrderItem) -> int:
        """Units of the line not refunded yet."""
        return item.quantity - self.units_done.get(item.id, item.quantity)

    def line_share(self, item: OrderItem) -> Decimal:
        """What the customer paid for one line (`paid_for`), to the currency's unit."""
        return self.paid[item.id].quantize(self.step, rounding=ROUND_HALF_UP)

    def share(self, item: OrderItem, units: int = 0) -> Decimal:
        """What refunding `units` more of the line (0: all that is left) gives back. The
        rounding is of the running total (units refunded so far and these, of the
        line's share), so steps never add up to more than the share, and the last unit
        takes the remainder; never more than is left of the order to refund."""
        before = self.units_done.get(item.id, 0)
        after = min(before + (units or self.left(item)), item.quantity)
        line = self.line_share(item)
        upto = line if after >= item.quantity else line * after / item.quantity
        paid = sum((r.amount for r in self.done if r.order_item_id == item.id), Decimal(0))
        amount = max(upto.quantize(self.step, rounding=ROUND_HALF_UP) - paid, Decimal(0))
        return min(amount, self.rest)


@dataclass(frozen=True, slots=True)
class RefundDone:
    order: Order
    refund: Refund
    item: OrderItem | None
    quantity: int  # units of the line refunded (0: the whole order)
    charge_id: str | None  # to return through Telegram now; None: the shop settles it
    units: dict[int, int]  # line id: units this refund covers
    left_shop: bool  # the order had shipped (the goods may not have come back)


def check_units(plan: RefundPlan, item: OrderItem, quantity: int) -> None:
    """A quantity to refund of a line: 1 up to its units left (0: all of them)."""
    left = plan.left(item)
    if quantity < 0 or quantity > left:
        raise DomainError(
            N_("Only {left} of {quantity} can be refunded now."),
            left=left,
            quantity=item.quantity,
        )


class RefundService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_order(self, order_id: int) -> list[Refund]:
        return list(
            await self.session.scalars(
                select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
            )
        )

    async def plan(self, admin: User, order_id: int) -> RefundPlan:
        if admin.role is not Role.admin:
            raise NotAllowed()
        order = await OrderService(self.session).get(admin, order_id)
        if not refundable(order):
            raise DomainError(CANT_REFUND)
        done = await self.of_order(order.id)
        units = refunded_units(order.items, done)
        remaining = [i for i in order.items if i.quantity > units[i.id]]
        # One line with one unit left is the whole order; with several, some may go.
        alone = len(remaining) > 1 or any(i.quantity - units[i.id] > 1 for i in remaining)
        late = late_payment(order)
        return RefundPlan(
            order=order,
            done=done,
            lines=remaining if alone and not late else [],
            ask_stock=order.status in (OrderStatus.shipped, OrderStatus.delivered),
            late=late,
            units_done=units,
            paid=paid_for(order.items, order),
        )

    async def refund(
        self,
        admin: User,
        order_id: int,
        item_id: int,
        restock: bool,
        quantity: int = 0,
        seen: int | None = None,
        *,
        in_shop: bool = False,
    ) -> RefundDone:
        """Refunds `quantity` units of line `item_id` (0: all its units left; item 0: all
        not refunded yet). `restock` counts only when the goods may have left the shop.
        `seen`: the refunds recorded when the admin was shown what this one would do (a
        double tap, or another admin meanwhile, changes that: refused). The caller asks
        Telegram for a Stars refund in the same transaction (`charge_id`), so a refusal
        rolls all of this back. `in_shop`: the admin was told the goods were still in the
        shop and go back on sale; shipped since, they may not be: refused, to ask again."""
        plan = await self.plan(admin, order_id)
        order = plan.order
        seen = len(plan.done) if seen is None else seen
        if seen != len(plan.done) or (in_shop and plan.ask_stock):
            raise DomainError(CHANGED)
        item = None
        if item_id:
            item = plan.item(item_id)
            if item is None:
                raise DomainError(LINE_GONE)
            check_units(plan, item, quantity)
        item, quantity = plan.target(item, quantity)
        open_lines = [i for i in order.items if plan.left(i) > 0]
        units = {item.id: quantity} if item else {i.id: plan.left(i) for i in open_lines}
        items = [item] if item else open_lines
        amount = plan.share(item, quantity) if item else plan.rest
        via = plan.via(item)
        before = order.status
        after = before if item else OrderStatus.refunded
        # The conditional UPDATE is also the order's lock: of two refunds racing, the
        # second finds the status (or the refunded lines) changed and stops.
        moved = await self.session.execute(
            update(Order)
            .where(
                Order.id == order.id,
                Order.status == before,
                Order.status.in_((*REFUNDABLE, OrderStatus.cancelled)),
            )
            .values(status=after, updated_at=utc_now())
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1 or await self._refunded_meanwhile(order.id, seen):
            raise DomainError(CHANGED)
        order.status = after
        back = not plan.late and (restock or not plan.ask_stock)  # a late one's went back
        if back:
            await return_stock(self.session, items, units)
        if not plan.late:
            await goods_returned(self.session, order, items, restocked=back, whole=item is None)
        refund = Refund(
            order_id=order.id,
            order_item_id=item.id if item else None,
            quantity=quantity if item else None,
            admin_id=admin.id,
            amount=amount,
            via=via,
            restocked=back,
        )
        self.session.add(refund)
        await AuditService(self.session).record(
            admin,
            "order.refund",
            "order",
            order.id,
            before={"status": before.value},
            after={
                "status": after.value,
                "amount": str(amount),
                "line": item.name if item else None,
                "quantity": quantity if item else None,
                "restocked": back,
                "via": via,
            },
        )
        await self.session.flush()
        charge = order.telegram_payment_charge_id if via == TELEGRAM else None
        return RefundDone(
            order, refund, item, quantity if item else 0, charge, units, plan.ask_stock
        )

    async def _refunded_meanwhile(self, order_id: int, seen: int) -> bool:
        count = await self.session.scalar(
            select(func.count()).select_from(Refund).where(Refund.order_id == order_id)
        )
        return (count or 0) != seen

    async def record_late(self, order: Order) -> None:
        """A late payment went back through Telegram (its stock had returned already)."""
        self.session.add(
            Refund(order_id=order.id, amount=order.total, via=TELEGRAM, restocked=False)
        )
        await AuditService(self.session).record(
            None,
            "order.refund",
            "order",
            order.id,
            before={"status": OrderStatus.cancelled.value},
            after={"status": OrderStatus.refunded.value, "amount": str(order.total), "late": True},
        )
