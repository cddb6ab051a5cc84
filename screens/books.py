"""The owner's books: the export menu, the typed range prompt, and the Stars check."""

from datetime import date, datetime

from aiogram.utils.i18n import gettext as _

from keyboards.books import back_to_books_kb, books_kb, typed_kb
from keyboards.callback_owner import BooksAction, BooksCb
from keyboards.formatting import day, fits, quote
from screens.base import Screen
from services.books import Finding, Ledger, Mismatch
from services.validation import grouped


def books_screen() -> Screen:
    text = (
        "📒 <b>"
        + _("Orders export and Stars check")
        + "</b>\n\n"
        + _(
            "Export orders as a spreadsheet (CSV, one row per order line; opens in Excel "
            "and LibreOffice). Choose a period; days are in UTC."
        )
        + "\n\n"
        + _(
            "“Check Stars payments” compares Telegram's Stars transactions with the orders: "
            "run it when a customer says they paid."
        )
    )
    return Screen(text, books_kb())


def typed_screen(error: bool = False) -> Screen:
    text = _(
        "Type the period as two dates, for example <code>2026-11-01 2026-11-30</code> or "
        "<code>01.11.2026 30.11.2026</code> (both days included), or one date for a single day."
    )
    if error:
        text = "⚠️ " + _("I couldn't read these dates.") + "\n\n" + text
    return Screen(text, typed_kb())


def export_caption(first: date | None, last: date | None, rows: int, locale: str) -> str:
    if first is None or last is None:
        period = _("all time")
    elif first == last:
        period = day(first, locale)
    else:
        period = f"{day(first, locale)} — {day(last, locale)}"
    return "📒 " + _("Orders, {period}. Lines: {rows}.").format(period=period, rows=rows)


def no_orders_text() -> str:
    return _("No orders in this period.")


def _finding(f: Finding) -> str:
    charge = "<code>" + quote(f.charge_id, 64) + "</code>"
    texts = {
        Mismatch.charge_without_order: _(
            "{stars} ⭐ received (charge {charge}), but no order has this payment."
        ),
        Mismatch.paid_cancelled: _(
            "Order #{id} is cancelled, but its {stars} ⭐ were not refunded (charge {charge})."
        ),
        Mismatch.order_without_charge: _(
            "Order #{id} is recorded as paid, but Telegram has no such charge ({charge})."
        ),
        Mismatch.refund_not_recorded: _(
            "Telegram refunded order #{id} (charge {charge}), but the shop has not recorded it."
        ),
        Mismatch.refund_not_made: _(
            "Order #{id} is recorded as refunded in Stars, but Telegram shows no refund "
            "(charge {charge})."
        ),
        Mismatch.amount_differs: _(
            "Order #{id}: Telegram received {stars} ⭐, the shop recorded another amount "
            "(charge {charge})."
        ),
    }
    return "• " + texts[f.kind].format(id=f.order_id, stars=grouped(f.stars), charge=charge)


def reconcile_screen(
    findings: list[Finding], ledger: Ledger, orders: int, checked_at: datetime
) -> Screen:
    head = [
        "⭐ <b>" + _("Stars check") + "</b> · " + checked_at.strftime("%H:%M:%S UTC"),
        _(
            "Telegram: payments {payments}, refunds {refunds}. "
            "Orders paid in Stars in the shop: {orders}."
        ).format(payments=len(ledger.charges), refunds=len(ledger.refunds), orders=orders),
    ]
    if not ledger.complete:
        head.append(
            _(
                "Only the latest transactions were read ({pages} pages): older orders were "
                "not checked for a missing charge."
            ).format(pages=ledger.pages)
        )
    head.append("")
    if not findings:
        head.append("✅ " + _("Everything matches."))
        body: list[str] = []
    else:
        head.append("⚠️ " + _("Mismatches: {n}").format(n=len(findings)))
        body = [_finding(f) for f in findings[:60]]

    def render(shown: int) -> str:
        lines = head + body[:shown]
        if shown < len(findings):
            lines.append(_("…and {n} more.").format(n=len(findings) - shown))
        return "\n".join(lines)

    shown = len(body)
    text = render(shown)
    while not fits(text) and shown > 0:  # Telegram's 4096: the first ones, and a count
        shown -= 1
        text = render(shown)
    again = BooksCb(action=BooksAction.reconcile)
    return Screen(text, back_to_books_kb(again))
