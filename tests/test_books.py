"""The owner's books: the orders as a CSV file an admin gets in the chat, and the Stars
check that lists every disagreement between Telegram's ledger and the orders."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiogram.methods import GetStarTransactions, SendDocument
from sqlalchemy import update

from keyboards.callback_data import AdminAction, AdminCb
from keyboards.callback_owner import BooksAction, BooksCb, RefundCb, RefundStep
from models import Order, OrderStatus, PaymentMethod, Role
from services.books import parse_period
from tests.conftest import ADMIN_ID
from tests.factories import make_category, make_product, make_user
from tests.test_orders import place


def received_csv(env, chat_id) -> tuple[bytes, list[list[str]], str]:
    """The file the bot sent last to `chat_id`, as the fake Bot API keeps it."""
    message = env.api.last_message(chat_id)
    assert message.document is not None
    data = env.api.rules.files[message.document.file_id]["data"]
    text = data.decode("utf-8-sig")
    delimiter = ";" if text.startswith("order_id;") else ","
    return data, list(csv.reader(io.StringIO(text), delimiter=delimiter)), message.caption


async def shop(session):
    category = await make_category(session)
    ann = await make_user(session, 1, first_name="Анна", username="anna")
    sam = await make_user(session, 10, Role.seller, first_name="Sam")
    tea = await make_product(
        session, category, name="Чай «Зелёный»", price="12.30", stock=10, seller=sam
    )
    trap = await make_product(session, category, name='=HYPERLINK("x")', price="5")
    await session.commit()
    return ann, tea, trap


async def test_admin_exports_orders_as_csv_with_cyrillic_intact(env, session):
    ann, tea, trap = await shop(session)
    first = await place(session, ann, [(tea, 2), (trap, 1)])
    await place(session, ann, [(tea, 1)])
    first.discount, first.promo_code = Decimal("3.00"), "SPRING"
    await session.commit()
    admin = env.user(ADMIN_ID)
    await admin.send("/admin")
    reply = await admin.press("Orders export and Stars check")
    assert reply.has_button("7 days") and reply.has_button("This month")
    reply = await admin.press("7 days")
    [sent] = reply.of(SendDocument)
    assert sent.chat_id == ADMIN_ID and sent.document.filename.endswith(".csv")
    data, rows, caption = received_csv(env, ADMIN_ID)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    assert "Lines: 3." in caption
    header, *lines = rows
    assert header[:3] == ["order_id", "created_at_utc", "status"]
    assert {"discount", "promo_code", "charge_id", "seller", "customer"} <= set(header)
    row = dict(zip(header, lines[0], strict=True))
    assert row["product"] == "Чай «Зелёный»" and row["customer"] == "Анна (@anna)"
    assert (row["quantity"], row["price"], row["line_total"]) == ("2", "12.30", "24.60")
    assert (row["seller"], row["status"], row["payment_method"]) == ("Sam", "new", "cod")
    # The order's discount once (on its first line), so the column sums right.
    assert (row["discount"], row["promo_code"]) == ("3.00", "SPRING")
    second = dict(zip(header, lines[1], strict=True))
    assert (second["discount"], second["promo_code"]) == ("0.00", "SPRING")
    assert dict(zip(header, lines[2], strict=True))["promo_code"] == ""
    # A name that looks like a formula stays text in a spreadsheet.
    assert dict(zip(header, lines[1], strict=True))["product"] == '\'=HYPERLINK("x")'
    assert [r[0] for r in lines] == ["1", "1", "2"]


@pytest.mark.parametrize(
    ("typed", "exported"),
    [
        ("+79991234567", "+79991234567"),  # a phone number is data, not a formula
        ("+7 (999) 123-45-67", "+7 (999) 123-45-67"),
        ("-42", "-42"),
        ("+1.5", "+1.5"),
        ("=1+1", "'=1+1"),
        ('+HYPERLINK("http://x")', '\'+HYPERLINK("http://x")'),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("+7 999 A1", "'+7 999 A1"),  # a cell reference after the digits
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("+", "'+"),
        ("\t+79991234567", "'\t+79991234567"),
    ],
)
async def test_only_real_formulas_get_the_quote_mark(env, session, typed, exported):
    """A recipient's name from before names were checked, or typed through the API."""
    ann, tea, _trap = await shop(session)
    order = await place(session, ann, [(tea, 1)])
    await session.execute(update(Order).where(Order.id == order.id).values(contact_name=typed))
    await session.commit()
    await env.user(ADMIN_ID).click(BooksCb(action=BooksAction.export))
    _data, (header, line), _caption = received_csv(env, ADMIN_ID)
    row = dict(zip(header, line, strict=True))
    assert (row["phone"], row["recipient"]) == ("+79991234567", exported)


async def test_a_russian_admin_gets_semicolons_and_decimal_commas(env, session):
    ann, tea, _trap = await shop(session)
    await place(session, ann, [(tea, 1)])
    await make_user(session, ADMIN_ID, Role.admin, language="ru")
    await session.commit()
    await env.user(ADMIN_ID).click(BooksCb(action=BooksAction.export))  # today
    data, rows, _caption = received_csv(env, ADMIN_ID)
    assert data.decode("utf-8-sig").startswith("order_id;")
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["price"] == "12,30" and row["product"] == "Чай «Зелёный»"


async def test_typed_range_and_empty_periods(env, session):
    ann, tea, _trap = await shop(session)
    order = await place(session, ann, [(tea, 1)])
    old = datetime(2025, 3, 15, 12, tzinfo=UTC)
    await session.execute(update(Order).where(Order.id == order.id).values(created_at=old))
    await session.commit()
    admin = env.user(ADMIN_ID)
    await admin.send("/books")
    reply = await admin.press("Today")
    assert reply.alert == "No orders in this period." and not reply.of(SendDocument)
    reply = await admin.press("Other dates")
    assert "2026-11-01 2026-11-30" in reply.text and reply.has_button("Cancel")
    reply = await admin.send("last March")
    assert "I couldn't read these dates." in reply.text
    reply = await admin.send_sticker()
    assert "I couldn't read these dates." in reply.text
    reply = await admin.send("31.03.2025 01.03.2025")  # either order, either format
    [sent] = reply.of(SendDocument)
    assert sent.document.filename == "orders_2025-03-01_2025-03-31.csv"
    _data, rows, caption = received_csv(env, ADMIN_ID)
    assert len(rows) == 2 and "Mar 1, 2025 — Mar 31, 2025" in caption
    # The dialog is over: text is text again.
    assert not (await admin.send("2025-03-15")).of(SendDocument)


async def test_the_widest_dates_there_are_export_everything(env, session):
    ann, tea, _trap = await shop(session)
    await place(session, ann, [(tea, 1)])
    admin = env.user(ADMIN_ID)
    await admin.send("/books")
    await admin.press("Other dates")
    reply = await admin.send("0001-01-01 9999-12-31")  # no day after the last one
    [sent] = reply.of(SendDocument)
    assert sent.document.filename == "orders_0001-01-01_9999-12-31.csv"
    _data, rows, caption = received_csv(env, ADMIN_ID)
    assert len(rows) == 2 and "Jan 1, 1 — Dec 31, 9999" in caption


def test_period_parsing():
    today = datetime.now(UTC).date()
    assert parse_period("2026-11-01 2026-11-30") == (
        today.replace(2026, 11, 1),
        today.replace(2026, 11, 30),
    )
    assert parse_period("2026-02-30") is None  # no such day
    assert parse_period("1 2 3") is None
    assert parse_period("2026-01-01 2026-01-02 2026-01-03") is None
    day = today - timedelta(days=1)
    assert parse_period(day.strftime("%d.%m.%Y")) == (day, day)


async def test_only_admins_see_the_books(env, session):
    ann, tea, _trap = await shop(session)
    await place(session, ann, [(tea, 1)])
    user = env.user(1)
    assert (await user.click(BooksCb(action=BooksAction.export))).alert == "Not allowed."
    assert (await user.click(BooksCb(action=BooksAction.reconcile))).alert == "Not allowed."
    reply = await user.send("/books")
    assert not reply.of(SendDocument)
    assert not any(isinstance(r, SendDocument) for r in env.api.requests)
    assert (await env.user(ADMIN_ID).click(AdminCb(action=AdminAction.panel))).text


async def test_the_stars_check_lists_every_mismatch(make_env, settings, session):
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann, tea, _trap = await shop(session)
    orders = [await place(session, ann, [(tea, 1)], PaymentMethod.stars) for _ in range(5)]
    charges = env.api.rules.charges

    async def paid(order, charge, amount=13, status=OrderStatus.paid):
        await session.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(status=status, telegram_payment_charge_id=charge, paid_amount=amount)
        )

    # 1: paid and matching. 2: Telegram refunded it, the shop doesn't know.
    # 3: the shop says paid, Telegram has no such charge. 4: amounts differ.
    # 5: refunded by the admin through the bot: matching.
    for order, charge in zip(orders, ["ok", "ref", "missing", "diff", "done"], strict=True):
        await paid(order, charge)
    for charge in ("ok", "ref", "done"):
        charges[charge] = {"user_id": 1, "total_amount": 13, "currency": "XTR"}
    charges["ref"]["refunded"] = True
    charges["diff"] = {"user_id": 1, "total_amount": 9, "currency": "XTR"}
    charges["ghost"] = {"user_id": 2, "total_amount": 50, "currency": "XTR"}  # no order
    charges["card"] = {"user_id": 2, "total_amount": 500, "currency": "RUB"}  # not Stars
    # 120 more matching payments: the ledger takes two pages.
    for n in range(120):
        order = Order(
            user_id=ann.id,
            status=OrderStatus.delivered,
            total=Decimal(10),
            currency="RUB",
            payment_method=PaymentMethod.stars,
            contact_name="Ann",
            phone="+79991234567",
            telegram_payment_charge_id=f"bulk-{n}",
            paid_amount=10,
        )
        session.add(order)
        charges[f"bulk-{n}"] = {"user_id": 1, "total_amount": 10}
    await session.commit()
    admin = env.user(ADMIN_ID)
    await admin.send("/start")
    # The admin refunds #5 through the bot: Telegram and the books agree on it.
    await admin.click(RefundCb(order=orders[4].id, step=RefundStep.do, restock=True))
    assert charges["done"]["refunded"]
    await admin.click(BooksCb(action=BooksAction.menu))
    reply = await admin.press("Check Stars payments")
    pages = reply.of(GetStarTransactions)
    assert [(p.offset, p.limit) for p in pages] == [(0, 100), (100, 100)]
    text = reply.text
    assert "Telegram: payments 125, refunds 2. Orders paid in Stars in the shop: 125." in text
    assert "Mismatches: 4" in text
    assert "50 ⭐ received (charge <code>ghost</code>), but no order has this payment." in text
    assert "Telegram refunded order #2 (charge <code>ref</code>)" in text
    assert "Order #3 is recorded as paid, but Telegram has no such charge" in text
    assert "Order #4: Telegram received 9 ⭐" in text
    assert "#1" not in text and "#5" not in text and "bulk" not in text
    # Checked again (after Telegram's ledger changed): the list follows.
    charges["ref"]["refunded"] = False
    reply = await admin.press("Check again")
    assert len(reply.of(GetStarTransactions)) == 2
    assert "Mismatches: 3" in reply.text and "<code>ref</code>" not in reply.text
