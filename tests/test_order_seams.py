"""Where reservations, promo codes and refunds meet: a payment on its way is never
cancelled under it, a use paid for stays counted, a line refunds what was paid for it."""

import csv
import io
from decimal import Decimal

from aiogram.methods import AnswerPreCheckoutQuery, RefundStarPayment
from sqlalchemy import func, select, update

from keyboards.callback_data import OrderAction, OrderCb
from models import Order, OrderStatus, PromoKind, User
from services.books import BooksService, CsvStyle, Period
from services.refunds import RefundService
from tests import test_promo
from tests.conftest import ADMIN_ID
from tests.test_checkout import to_summary
from tests.test_promo import _cart_with, _code, _order, _used
from tests.test_reservations import sweeper

shop = test_promo.shop  # the fixture: a shop with Sencha (100) and a cup (45.50)


async def test_honoured_late_payment_keeps_the_promo_use(make_env, settings, shop, session):
    await _code(session, "ONCE", PromoKind.fixed, "10", total_uses=1)
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann = env.user(1)
    await _cart_with(ann, shop["sencha"], code="ONCE")
    await to_summary(ann)
    await ann.press("Confirm")  # 90 Stars
    [ok] = (await ann.pre_checkout("order:1", 90)).of(AnswerPreCheckoutQuery)
    assert ok.ok and await _used(session, "ONCE") == 1
    await sweeper(env, minutes=31).sweep(env.bot)  # the payment is still in flight
    reply = await ann.pay("order:1", 90, charge_id="late-ok")
    assert not reply.of(RefundStarPayment)
    order = await _order(session)
    assert order.status is OrderStatus.paid and order.discount == Decimal("10.00")
    # Paid with the discount, so the (only) use must be counted:
    assert await _used(session, "ONCE") == 1


async def test_per_customer_two_after_a_release(env, shop, session):
    await _code(session, "TWICE", PromoKind.fixed, "10", per_customer=2)
    ann = env.user(1)  # cash on delivery: counted at Confirm
    for _ in range(2):
        await _cart_with(ann, shop["cup"], code="TWICE")
        await to_summary(ann)
        await ann.press("Confirm")
    assert await _used(session, "TWICE") == 2
    await ann.click(OrderCb(action=OrderAction.cancel_yes, id=1))  # use n=1 released
    assert await _used(session, "TWICE") == 1
    reply = await _cart_with(ann, shop["cup"], code="TWICE")
    assert "applied" in reply.text  # the cart agrees one use is left
    await to_summary(ann)
    await ann.press("Confirm")
    assert await session.scalar(select(func.count()).select_from(Order)) == 3


async def test_csv_refunded_column_never_exceeds_the_refund(env, shop, session):
    await _code(session, "HALF", PromoKind.percent, "50")
    ann = env.user(1)
    await _cart_with(ann, shop["sencha"], code="HALF")
    await to_summary(ann)
    await ann.press("Confirm")  # COD, 100 - 50 = 50
    await session.execute(update(Order).values(status=OrderStatus.delivered))
    await session.commit()
    admin = await session.scalar(select(User).where(User.telegram_id == ADMIN_ID))
    done = await RefundService(session).refund(admin, 1, 0, restock=True)
    await session.commit()
    assert done.refund.amount == Decimal("50.00")
    data, _ = await BooksService(session).export_csv(admin, Period(None, None), CsvStyle())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sum(Decimal(r["refunded"]) for r in rows) == Decimal("50.00")


async def test_one_line_refund_of_a_discounted_order_is_its_share(env, shop, session):
    await _code(session, "HALF", PromoKind.percent, "50")
    ann = env.user(1)
    await _cart_with(ann, shop["sencha"], shop["cup"], code="HALF")
    await to_summary(ann)
    await ann.press("Confirm")  # COD: 145.50 - 72.75 = 72.75 charged
    await session.execute(update(Order).values(status=OrderStatus.delivered))
    await session.commit()
    admin = await session.scalar(select(User).where(User.telegram_id == ADMIN_ID))
    plan = await RefundService(session).plan(admin, 1)
    sencha = next(i for i in plan.lines if i.name == "Sencha")
    done = await RefundService(session).refund(admin, 1, sencha.id, restock=True)
    # Sencha's share of what was paid is 50.00; the customer keeps the cup.
    assert done.refund.amount == Decimal("50.00")


async def test_the_sweep_spares_an_order_whose_payment_is_on_its_way(
    make_env, settings, shop, session
):
    from datetime import UTC, datetime, timedelta

    from models import Product

    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    await session.execute(update(Product).values(stock=1))
    await session.commit()
    ann = env.user(1)
    await _cart_with(ann, shop["cup"])
    await to_summary(ann)
    await ann.press("Confirm")  # 46 Stars, the last cup
    # The hold is about to run out when Ann pays.
    soon = datetime.now(UTC) + timedelta(minutes=1)
    await session.execute(update(Order).values(expires_at=soon))
    await session.commit()
    [ok] = (await ann.pre_checkout("order:1", 46)).of(AnswerPreCheckoutQuery)
    assert ok.ok  # Telegram now takes Ann's Stars
    assert await sweeper(env, minutes=5).sweep(env.bot) == []  # the money is moving
    reply = await ann.pay("order:1", 46, charge_id="c1")
    assert not reply.of(RefundStarPayment)
    assert (await _order(session)).status is OrderStatus.paid
    # A "yes" whose payment never comes holds the units no longer than the grace.
    assert await sweeper(env, minutes=11).sweep(env.bot) == []  # (paid: nothing to do)


async def test_order_again_only_on_a_finished_order(make_env, settings, shop, session):
    from models import CartItem

    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann = env.user(1)
    await _cart_with(ann, shop["cup"])
    await to_summary(ann)
    await ann.press("Confirm")
    await ann.pay("order:1", 46, charge_id="c1")
    assert (await _order(session)).status is OrderStatus.paid
    # The old "Order again" button (e.g. on the expiry notice of an order honoured later)
    await ann.click(OrderCb(id=1, action=OrderAction.reorder))
    assert await session.scalar(select(func.count()).select_from(CartItem)) == 0


async def test_a_late_payment_honoured_past_the_codes_limit_is_recorded(
    make_env, settings, shop, session
):
    """Ann's order expired (its use given back), Bob took the code's last use, then Ann's
    payment arrived with the items still there: it is honoured, and the code's uses
    (2) pass its limit (1), which rises to them, rather than the payment being lost."""
    await _code(session, "LIMITED", PromoKind.percent, "10", total_uses=1)
    env = make_env(settings.model_copy(update={"payment_method": "stars"}))
    ann, bob = env.user(1), env.user(2, "Bob")
    await _cart_with(ann, shop["sencha"], code="LIMITED")
    await to_summary(ann)
    await ann.press("Confirm")  # 90 Stars
    await ann.pre_checkout("order:1", 90)
    await sweeper(env, minutes=45).sweep(env.bot)  # expired: the use goes back
    assert await _used(session, "LIMITED") == 0
    await _cart_with(bob, shop["sencha"], code="LIMITED")
    await to_summary(bob)
    await bob.press("Confirm")
    await bob.pre_checkout("order:2", 90)
    reply = await ann.pay("order:1", 90, charge_id="ann-late")
    assert "the order is paid" in reply.texts[0] and not reply.of(RefundStarPayment)
    order = await session.get(Order, 1, populate_existing=True)
    assert (order.status, order.telegram_payment_charge_id) == (OrderStatus.paid, "ann-late")
    assert await _used(session, "LIMITED") == 2
