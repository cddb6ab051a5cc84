import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, delete, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models import CartItem, Order, OrderItem, OrderStatus, PaymentMethod, Product, User
from models.base import MONEY_MAX
from services import order_rules as rules
from services.access import can_sell
from services.catalog_reads import MAX_ID, listed, shown_category_ids
from services.errors import DomainError, NotAllowed, NotFound
from services.order_hooks import goods_returned, goods_taken_again, status_moved
from services.order_lists import OrdersPage, order_page
from services.order_rules import SummaryLine, SummaryOutdated, same_lines
from services.reservations import EXPIRED, Holds, expired, utc_now
from services.stock import return_stock, take_stock
from services.texts import N_
from services.users import UserService

ORDER_NOT_FOUND = N_("Order not found.")
ALREADY_PLACED = N_("Your order is already placed, or your cart is empty.")
TOO_LARGE = N_("This order is too large to place at once: split it into smaller ones.")
RESERVATION_EXPIRED = N_(
    "This order was not paid in time and its items went back on sale. "
    "Open it in My orders and press “Order again”."
)


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str
    address: str | None  # None: pickup
    comment: str | None


class PaymentOutcome(enum.Enum):
    paid = "paid"
    duplicate = "duplicate"  # this charge was recorded before: nothing changes
    late = "late"  # the order was cancelled meanwhile: the money must go back
    honoured = "honoured"  # it had expired, but its units were still there: paid now


class OrderService:
    def __init__(self, session: AsyncSession, holds: Holds | None = None) -> None:
        self.session = session
        self.holds = holds  # None: orders hold their stock until someone acts

    # -- checkout ---------------------------------------------------------------------

    async def checkout(
        self,
        user: User,
        contact: Contact,
        method: PaymentMethod,
        currency: str,
        summary: Sequence[SummaryLine] | None = None,
    ) -> Order:
        """The cart becomes an order, all or nothing.

        The cart is claimed first (deleted, its rows returned): of two Confirm presses at
        once only one gets the lines, the other finds nothing. On SQLite that delete is
        the transaction's first write, so it takes the write lock and sees the latest
        rows; on PostgreSQL the second delete waits for the first and then finds the rows
        gone. `summary`: the lines the customer confirmed; the claimed cart must be
        exactly those (without it, the prices the customer last saw in the cart count).

        Each line takes its stock with one conditional UPDATE, so two customers racing
        for the last unit can't both get it; the price is in the condition too, so the
        order never holds a price the customer hasn't seen. Any line failing raises and
        the caller's transaction rolls back the whole order, cart included. Lines go in
        product order, so two orders never lock rows in opposite orders (deadlock).
        """
        claimed = (
            await self.session.execute(
                delete(CartItem)
                .where(CartItem.user_id == user.id)
                .returning(CartItem.product_id, CartItem.quantity, CartItem.price)
                .execution_options(synchronize_session=False)
            )
        ).all()
        if not claimed:
            raise DomainError(ALREADY_PLACED)
        quantities = {row.product_id: row.quantity for row in claimed}
        if summary is None:
            prices = {row.product_id: row.price for row in claimed}
        else:
            if not same_lines(summary, quantities):
                raise SummaryOutdated()
            prices = {line.product_id: line.price for line in summary}
        products = {
            row.id: row
            for row in await self.session.execute(
                select(
                    Product.id,
                    Product.name,
                    Product.price,
                    Product.seller_id,
                    and_(
                        Product.is_active.is_(True),
                        Product.is_deleted.is_(False),
                        Product.category_id.in_(shown_category_ids()),
                    ).label("visible"),
                ).where(Product.id.in_(quantities))
            )
        }
        if any(pid not in products or not products[pid].visible for pid in quantities):
            raise DomainError(
                N_("Some items are no longer available. Remove them from the cart first.")
            )
        if any(products[pid].price != price for pid, price in prices.items()):
            raise DomainError(N_("Prices have changed. Check your cart and check out again."))
        total = sum((prices[pid] * q for pid, q in quantities.items()), Decimal(0))
        if total > MONEY_MAX:  # what the column holds (PostgreSQL would refuse it)
            raise DomainError(TOO_LARGE)
        for pid in sorted(quantities):
            result = await self.session.execute(
                update(Product)
                .where(
                    Product.id == pid,
                    Product.stock >= quantities[pid],
                    Product.price == prices[pid],
                    Product.is_active.is_(True),
                    Product.is_deleted.is_(False),
                )
                .values(stock=Product.stock - quantities[pid], sold=Product.sold + quantities[pid])
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                raise DomainError(
                    N_("Sorry, “{name}” is no longer available in that quantity."),
                    name=products[pid].name,
                )
        order = Order(
            user_id=user.id,
            status=OrderStatus.new,
            expires_at=self.holds.deadline(method, utc_now()) if self.holds else None,
            total=total,
            currency=currency,
            payment_method=method,
            contact_name=contact.name,
            phone=contact.phone,
            address=contact.address,
            comment=contact.comment,
        )
        order.items = [
            OrderItem(
                product_id=pid,
                seller_id=products[pid].seller_id,
                name=products[pid].name,
                unit_price=prices[pid],
                quantity=quantities[pid],
            )
            for pid in sorted(quantities)
        ]
        self.session.add(order)
        await self.session.flush()
        return order

    # -- reading ------------------------------------------------------------------------

    async def _load(self, order_id: int) -> Order | None:
        if not 0 < order_id <= MAX_ID:
            return None  # a forged id past INTEGER would be a database error
        return await self.session.scalar(
            select(Order)
            .where(Order.id == order_id)
            .options(selectinload(Order.items))
            .execution_options(populate_existing=True)
        )

    async def get(self, viewer: User, order_id: int) -> Order:
        """The order, if `viewer` may see it: its customer, a seller of a line, an admin.

        Anyone else learns nothing, not even that the order exists.
        """
        order = await self._load(order_id)
        if order is None or not self._may_see(viewer, order):
            raise NotFound(ORDER_NOT_FOUND)
        return order

    # The rules themselves are pure (services.order_rules); the service applies them.
    _may_see = staticmethod(rules.may_see)
    is_staff_for = staticmethod(rules.is_staff_for)
    moves = staticmethod(rules.moves)
    refundable = staticmethod(rules.refundable)
    view = staticmethod(rules.view)

    async def page(
        self,
        *,
        page: int,
        size: int,
        customer: User | None = None,
        seller: User | None = None,
        status: OrderStatus | None = None,
    ) -> OrdersPage:
        """A page of orders, newest first (`services.order_lists`)."""
        return await order_page(
            self.session, page=page, size=size, customer=customer, seller=seller, status=status
        )

    async def customer(self, order: Order) -> User:
        user = await self.session.get(User, order.user_id)
        assert user is not None
        return user

    async def sellers(self, order: Order) -> list[tuple[User, list[OrderItem]]]:
        """Who hears of the order, and which of its lines: each seller their own lines.

        Lines nobody would hear of go to every admin, so no order goes unnoticed: lines of
        products without a seller (the shop's own), lines whose seller can't receive
        messages (an inactive account: the demo sellers, someone who blocked the bot), and
        those of a seller who may sell no longer (made a customer, or banned). An
        order no one seller may move (several sellers' lines) goes to every admin whole:
        only they can confirm, ship or cancel it.
        """
        by_seller: dict[int, list[OrderItem]] = defaultdict(list)
        for item in order.items:
            if item.seller_id is not None:
                by_seller[item.seller_id].append(item)
        users: dict[int, User] = {}
        if by_seller:
            found = await self.session.scalars(select(User).where(User.id.in_(by_seller)))
            users = {u.id: u for u in found if u.is_active and can_sell(u) and not u.is_banned}
        lines = {uid: items for uid, items in by_seller.items() if uid in users}
        unheard = [item for item in order.items if item.seller_id not in lines]
        if rules.sole_seller(order) is None:
            unheard = list(order.items)
        if unheard:
            for admin in await UserService(self.session).admins():
                users[admin.id] = admin
                mine = {i.id: i for i in [*lines.get(admin.id, []), *unheard]}
                lines[admin.id] = sorted(mine.values(), key=lambda i: i.id)
        return [(users[uid], lines[uid]) for uid in sorted(lines)]

    # -- changes --------------------------------------------------------------------------

    async def _move(self, order: Order, allowed: tuple[OrderStatus, ...], to: OrderStatus) -> None:
        """Status change only from the status it was read in (a racing change wins once)."""
        result = await self.session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status.in_(allowed))
            .values(status=to, updated_at=utc_now())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise DomainError(N_("The order has changed meanwhile. Open it again."))
        order.status = to
        await self.session.flush()

    async def cancel(self, customer: User, order_id: int) -> Order:
        """The customer cancels an unpaid order; its stock goes back on sale."""
        order = await self._load(order_id)
        if order is None or order.user_id != customer.id:
            raise NotFound(ORDER_NOT_FOUND)
        if order.status is not OrderStatus.new:
            raise DomainError(N_("Only a new, unpaid order can be cancelled."))
        await self._move(order, (OrderStatus.new,), OrderStatus.cancelled)
        await return_stock(self.session, order.items)
        await goods_returned(self.session, order)
        return order

    async def movable(self, actor: User, order_id: int, to: OrderStatus) -> Order:
        """The order, when `actor` may move it to `to` now; else a DomainError saying why."""
        order = await self._load(order_id)
        if order is None or not self._may_see(actor, order):
            raise NotFound(ORDER_NOT_FOUND)
        if not self.is_staff_for(actor, order):
            raise NotAllowed()
        if to not in self.moves(order):
            raise DomainError(N_("This status change is not possible now."))
        return order

    async def set_status(self, actor: User, order_id: int, to: OrderStatus) -> Order:
        order = await self.movable(actor, order_id, to)
        before = order.status
        await self._move(order, (before,), to)
        await status_moved(self.session, actor, order, before)
        if to is OrderStatus.cancelled:
            await return_stock(self.session, order.items)
            await goods_returned(self.session, order)
        return order

    # -- payments ------------------------------------------------------------------------

    async def payable(self, payer_telegram_id: int, order_id: int) -> Order:
        """The order, if this Telegram user can pay it now; else a DomainError saying why."""
        user = await self.session.scalar(select(User).where(User.telegram_id == payer_telegram_id))
        return await self.payable_by(user, order_id)

    async def payable_by(self, user: User | None, order_id: int) -> Order:
        order = await self._load(order_id)
        if order is None or user is None or order.user_id != user.id:
            raise NotFound(ORDER_NOT_FOUND)
        if order.status is not OrderStatus.new or expired(order, utc_now()):
            if order.cancel_reason == EXPIRED or order.status is OrderStatus.new:
                raise DomainError(RESERVATION_EXPIRED)
            raise DomainError(N_("This order is no longer awaiting payment."))
        if order.payment_method is PaymentMethod.cod:
            raise DomainError(N_("This order is paid on delivery."))
        # Stock and prices were fixed when the order was placed; what can still change
        # is a product being withdrawn from sale, and then it can't be delivered.
        withdrawn = await self.session.scalar(
            select(func.count())
            .select_from(OrderItem)
            .outerjoin(Product, Product.id == OrderItem.product_id)
            .where(
                OrderItem.order_id == order.id,
                or_(  # gone, hidden, or under a hidden category: not sold now
                    Product.id.is_(None),
                    not_(and_(listed(), Product.category_id.in_(shown_category_ids()))),
                ),
            )
        )
        if withdrawn:
            raise DomainError(
                N_("Some items of this order are no longer sold. Cancel it and check your cart.")
            )
        return order

    async def record_payment(
        self,
        order_id: int,
        telegram_charge_id: str,
        provider_charge_id: str | None,
        amount: int,
    ) -> tuple[Order | None, PaymentOutcome]:
        """Records a successful payment exactly once per charge id."""
        seen = await self.session.scalar(
            select(Order.id).where(Order.telegram_payment_charge_id == telegram_charge_id)
        )
        if seen is not None:
            return await self._load(seen), PaymentOutcome.duplicate
        order = await self._load(order_id)
        if order is None:
            return None, PaymentOutcome.late
        now = utc_now()
        values = {
            "telegram_payment_charge_id": telegram_charge_id,
            "provider_payment_charge_id": provider_charge_id,
            "paid_amount": amount,
            "paid_at": now,
            "updated_at": now,
        }
        # Only a new order becomes paid; a cancelled one keeps its status and gets the
        # charge recorded, so the money can be traced and returned.
        paid = await self.session.execute(
            update(Order)
            .where(Order.id == order_id, Order.status == OrderStatus.new)
            .values(status=OrderStatus.paid, **values)
            .execution_options(synchronize_session=False)
        )
        if paid.rowcount == 1:
            return await self._load(order_id), PaymentOutcome.paid
        if await self._honour(order, values):
            await goods_taken_again(self.session, order)
            return await self._load(order_id), PaymentOutcome.honoured
        if order.telegram_payment_charge_id is None:
            await self.session.execute(
                update(Order)
                .where(Order.id == order_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return await self._load(order_id), PaymentOutcome.late

    async def _honour(self, order: Order, values: dict) -> bool:
        """A payment for an order the sweep cancelled: paid after all if every unit is
        still on sale (taken again), else False and the money goes back."""
        if order.cancel_reason != EXPIRED or order.telegram_payment_charge_id is not None:
            return False
        if not await take_stock(self.session, order.items):
            return False
        moved = await self.session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status == OrderStatus.cancelled)
            .values(status=OrderStatus.paid, cancel_reason=None, expires_at=None, **values)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            await return_stock(self.session, order.items)
            return False
        return True

    async def settle_free(self, order: Order) -> None:
        """A new order its promo code covers in full is paid now, nothing charged: no
        invoice (Telegram refuses one of zero); from here it goes as a paid order goes."""
        await self._move(order, (OrderStatus.new,), OrderStatus.paid)
        order.paid_amount, order.paid_at = 0, utc_now()
        await self.session.flush()

    async def mark_refunded(self, order: Order) -> None:
        """A late payment of a cancelled order went back (its stock already has)."""
        await self._move(order, (OrderStatus.cancelled,), OrderStatus.refunded)
