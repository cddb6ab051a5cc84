"""The owner's books: orders as a spreadsheet, and the Stars ledger checked against them.

Pure data in, plain data out: the CSV bytes, or the list of mismatches between
Telegram's Stars transactions (fetched by the caller, page by page) and the database.
"""

import csv
import enum
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import Order, OrderItem, OrderStatus, PaymentMethod, Refund, Role, User
from services.errors import NotAllowed
from services.line_discounts import paid_for
from services.refunds import TELEGRAM, refunded_units
from services.validation import without_bidi_controls

COLUMNS = (
    "order_id",
    "created_at_utc",
    "status",
    "payment_method",
    "currency",
    "customer",
    "customer_telegram_id",
    "recipient",
    "phone",
    "seller",
    "seller_telegram_id",
    "product_id",
    "product",
    "quantity",
    "price",
    "line_total",
    "discount",
    "promo_code",
    "refunded",
    "order_total",
    # What Telegram says was charged, as it says it: in the smallest units of
    # `paid_currency` (cents of USD, kopecks of RUB; Stars are whole: XTR).
    "paid_minor_units",
    "paid_currency",
    "charge_id",
    "provider_charge_id",
)
# A cell starting with one of these is a formula to Excel and LibreOffice: never run
# what a customer typed as a name.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
# ...unless it is a phone number ("+79991234567", "+7 (999) 123-45-67") or a signed
# number: digits, spaces, brackets and dashes call nothing and refer to no cell, so a
# quote mark would only spoil the column.
_NOT_FORMULA = re.compile(r"\+[\d ()-]*\d[\d ()-]*|[+-]\d+(?:[.,]\d+)?")


def _paid_currency(order: Order) -> str:
    """The currency of the charge Telegram recorded: Stars for a Stars order."""
    if order.paid_amount is None:
        return ""
    return "XTR" if order.payment_method is PaymentMethod.stars else order.currency


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime | None  # inclusive, UTC; None: since the first order
    end: datetime | None  # exclusive

    @classmethod
    def days(cls, first: date, last: date) -> "Period":
        """From the start of `first` to the end of `last` (UTC), both included. The last
        day there is (9999-12-31) has no day after it: the period is open at that end."""
        end = None if last >= date.max else datetime.combine(last + timedelta(days=1), time(), UTC)
        return cls(datetime.combine(first, time(), UTC), end)


_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_period(text: str) -> tuple[date, date] | None:
    """'2026-11-01 2026-11-30', '01.11.2026 - 30.11.2026' or one date: the first and
    last day (in order); None unless one or two real dates and nothing else."""
    found = list(_DATE.finditer(text))
    rest = _DATE.sub("", text).replace("-", "").replace("—", "").replace("–", "")
    if not 1 <= len(found) <= 2 or rest.replace(",", "").replace("..", "").strip():
        return None
    days = []
    for m in found:
        year, month, day = (m[1], m[2], m[3]) if m[1] else (m[6], m[5], m[4])
        try:
            days.append(date(int(year), int(month), int(day)))
        except ValueError:
            return None
    return min(days), max(days)


def preset_days(days: int | None, today: date, *, this_month: bool = False) -> tuple[date, date]:
    """The last `days` days up to today, or this month so far."""
    if this_month:
        return today.replace(day=1), today
    return today - timedelta(days=(days or 1) - 1), today


@dataclass(frozen=True, slots=True)
class CsvStyle:
    """Excel reads a CSV by the computer's regional settings: with a Russian locale it
    splits on ';' and wants a decimal comma; with an English one, ',' and a point."""

    delimiter: str = ","
    decimal: str = "."

    @classmethod
    def for_locale(cls, locale: str) -> "CsvStyle":
        return cls(";", ",") if locale == "ru" else cls()


def _name(user: User | None) -> str:
    if user is None:
        return ""
    name = without_bidi_controls(" ".join(p for p in (user.first_name, user.last_name) if p))
    return f"{name} (@{user.username})" if user.username else name


def _cell(value: object, style: CsvStyle) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", style.decimal)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    if text.startswith(_FORMULA) and not _NOT_FORMULA.fullmatch(text):
        return "'" + text
    return text


class BooksService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def export_csv(self, admin: User, period: Period, style: CsvStyle) -> tuple[bytes, int]:
        """One row per order line of the orders placed in `period`; (UTF-8 with BOM,
        the number of rows). The BOM is what makes Excel read Cyrillic as Cyrillic."""
        if admin.role is not Role.admin:
            raise NotAllowed()
        customer, seller = aliased(User), aliased(User)
        stmt = (
            select(OrderItem, Order, customer, seller)
            .join(Order, Order.id == OrderItem.order_id)
            .join(customer, customer.id == Order.user_id)
            .outerjoin(seller, seller.id == OrderItem.seller_id)
            .order_by(Order.id, OrderItem.id)
        )
        if period.start is not None:
            stmt = stmt.where(Order.created_at >= period.start)
        if period.end is not None:
            stmt = stmt.where(Order.created_at < period.end)
        rows = (await self.session.execute(stmt)).all()
        refunded = await self._refunded_by_line({order.id for _, order, _, _ in rows})
        out = io.StringIO()
        writer = csv.writer(out, delimiter=style.delimiter, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        first_lines = {}  # an order's discount goes on its first line: the column sums right
        for item, order, _, _ in rows:
            first_lines.setdefault(order.id, item.id)
        for item, order, buyer, sold_by in rows:
            values = (
                order.id,
                order.created_at,
                order.status.value,
                order.payment_method.value,
                order.currency,
                _name(buyer),
                buyer.telegram_id,
                order.contact_name,
                order.phone,
                _name(sold_by),
                sold_by.telegram_id if sold_by else None,
                item.product_id,
                item.name,
                item.quantity,
                item.unit_price,
                item.line_total,
                order.discount if first_lines[order.id] == item.id else Decimal("0.00"),
                order.promo_code,
                refunded.get(item.id, Decimal("0.00")),
                order.total,
                order.paid_amount,
                _paid_currency(order),
                order.telegram_payment_charge_id,
                order.provider_payment_charge_id,
            )
            writer.writerow([_cell(v, style) for v in values])
        return out.getvalue().encode("utf-8-sig"), len(rows)

    async def _refunded_by_line(self, order_ids: set[int]) -> dict[int, Decimal]:
        """Refunded per order line: its own refunds (one per step), and its part of a
        whole-order refund (spread over the units no earlier refund covered)."""
        if not order_ids:
            return {}
        refunds = list(
            await self.session.scalars(select(Refund).where(Refund.order_id.in_(order_ids)))
        )
        if not refunds:
            return {}
        items = await self.session.scalars(
            select(OrderItem).where(OrderItem.order_id.in_({r.order_id for r in refunds}))
        )
        lines: dict[int, list[OrderItem]] = defaultdict(list)
        for item in items:
            lines[item.order_id].append(item)
        ids = {r.order_id for r in refunds}
        orders = {
            o.id: o for o in await self.session.scalars(select(Order).where(Order.id.in_(ids)))
        }
        out: dict[int, Decimal] = defaultdict(Decimal)
        by_line = sorted(refunds, key=lambda r: r.order_item_id is None)
        for refund in by_line:
            if refund.order_item_id is not None:
                out[refund.order_item_id] += refund.amount
                continue
            order_lines = lines[refund.order_id]
            units = refunded_units(
                order_lines,
                [r for r in by_line if r.order_id == refund.order_id and r.order_item_id],
            )
            paid = paid_for(order_lines, orders[refund.order_id])
            rest = {
                i.id: paid[i.id] * (i.quantity - units[i.id]) / i.quantity
                for i in order_lines
                if i.quantity > units[i.id]
            }
            for item_id, part in _spread(refund.amount, rest).items():
                out[item_id] += part
        return dict(out)

    async def stars_orders(self, admin: User) -> list["StarsOrder"]:
        """Every order with a Stars charge recorded, and whether it was refunded through
        Telegram."""
        if admin.role is not Role.admin:
            raise NotAllowed()
        orders = (
            await self.session.execute(
                select(Order.id, Order.status, Order.telegram_payment_charge_id, Order.paid_amount)
                .where(
                    Order.payment_method == PaymentMethod.stars,
                    Order.telegram_payment_charge_id.is_not(None),
                )
                .order_by(Order.id)
            )
        ).all()
        refunds = (await self.session.execute(select(Refund.order_id, Refund.via))).all()
        via_telegram = {r.order_id for r in refunds if r.via == TELEGRAM}
        any_refund = {r.order_id for r in refunds}

        def refunded(order_id: int, status: OrderStatus) -> bool:
            # Refunded through Telegram; or refunded before refunds were recorded.
            legacy = status is OrderStatus.refunded and order_id not in any_refund
            return order_id in via_telegram or legacy

        return [
            StarsOrder(
                o.id,
                o.status,
                o.telegram_payment_charge_id,
                o.paid_amount or 0,
                refunded(o.id, o.status),
            )
            for o in orders
        ]


# -- Stars reconciliation ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StarsOrder:
    order_id: int
    status: OrderStatus
    charge_id: str
    amount: int
    refunded: bool  # the shop's books say the Stars went back


@dataclass(frozen=True, slots=True)
class Ledger:
    """Telegram's side, from getStarTransactions: payments in and refunds out, by charge id."""

    charges: dict[str, int]  # charge id -> Stars received
    refunds: set[str]  # charge ids refunded
    pages: int
    complete: bool  # False: stopped at the page limit


class Mismatch(enum.StrEnum):
    charge_without_order = "charge_without_order"  # Stars received, no order has them
    paid_cancelled = "paid_cancelled"  # Stars kept for a cancelled order
    order_without_charge = "order_without_charge"  # the books say paid, Telegram doesn't
    refund_not_recorded = "refund_not_recorded"  # Telegram refunded, the books don't say
    refund_not_made = "refund_not_made"  # the books say refunded in Stars, Telegram doesn't
    amount_differs = "amount_differs"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Mismatch
    charge_id: str
    order_id: int | None
    stars: int  # what Telegram says was paid (0: nothing)


def reconcile(ledger: Ledger, orders: Iterable[StarsOrder]) -> list[Finding]:
    """Every disagreement between Telegram's Stars ledger and the shop's orders."""
    found: list[Finding] = []
    by_charge = {o.charge_id: o for o in orders}
    for charge, stars in ledger.charges.items():
        order = by_charge.get(charge)
        refunded_in_telegram = charge in ledger.refunds
        if order is None:
            if not refunded_in_telegram:
                found.append(Finding(Mismatch.charge_without_order, charge, None, stars))
            continue
        if refunded_in_telegram and not order.refunded:
            found.append(Finding(Mismatch.refund_not_recorded, charge, order.order_id, stars))
        elif not refunded_in_telegram and order.refunded:
            found.append(Finding(Mismatch.refund_not_made, charge, order.order_id, stars))
        elif not refunded_in_telegram and order.status is OrderStatus.cancelled:
            found.append(Finding(Mismatch.paid_cancelled, charge, order.order_id, stars))
        if order.amount != stars:
            found.append(Finding(Mismatch.amount_differs, charge, order.order_id, stars))
    if ledger.complete:  # an older charge may lie beyond the pages read
        for order in by_charge.values():
            if order.charge_id not in ledger.charges:
                found.append(
                    Finding(Mismatch.order_without_charge, order.charge_id, order.order_id, 0)
                )
    return found


def _spread(amount: Decimal, values: dict[int, Decimal]) -> dict[int, Decimal]:
    """A whole-order refund over its lines (item id: the value of its units not refunded
    before), in proportion (a discount makes it less than their sum); the last line
    takes the cents rounding leaves, so the column adds up to the refund exactly."""
    if not values:
        return {}
    ids = list(values)
    value = sum(values.values(), Decimal(0))
    out: dict[int, Decimal] = {}
    for item_id in ids[:-1]:
        part = amount * values[item_id] / value if value else Decimal(0)
        out[item_id] = part.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    out[ids[-1]] = amount - sum(out.values(), Decimal(0))
    return out
