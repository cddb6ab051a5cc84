"""The promo race: 50 customers paying at once for a code with 10 uses left get exactly
10 discounts. Real concurrency on PostgreSQL (50 sessions); SQLite runs one writer at a
time, so there the same 50 uses run one after another."""

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.engine import create_engine, create_session_pool
from models import Order, OrderStatus, PaymentMethod, PromoCode, PromoKind, PromoRedemption
from services.promo import PromoService
from services.promo_rules import PromoRejected
from tests.conftest import PG_URL
from tests.factories import make_user

CUSTOMERS = 50


def _order(user_id: int, code: str) -> Order:
    """A new order at 90 after a 10 discount by `code`, waiting to be paid in Stars."""
    return Order(
        user_id=user_id,
        status=OrderStatus.new,
        total=Decimal("90.00"),
        discount=Decimal("10.00"),
        promo_code=code,
        currency="RUB",
        payment_method=PaymentMethod.stars,
        contact_name="C",
        phone="+10000000000",
    )


async def _orders(session, code: str) -> list[int]:
    ids = []
    for uid in range(1, CUSTOMERS + 1):
        user = await make_user(session, 10_000 + uid)
        order = _order(user.id, code)
        session.add(order)
        await session.flush()
        ids.append(order.id)
    return ids


async def test_fifty_customers_racing_for_ten_uses_get_exactly_ten(session, pool):
    promo = PromoCode(
        code="RACE10", kind=PromoKind.fixed, value=Decimal(10), total_uses=60, used=50
    )
    session.add(promo)
    order_ids = await _orders(session, "RACE10")
    await session.commit()
    start, ready = asyncio.Event(), []

    async def pay(sessions, order_id: int) -> bool:
        async with sessions() as s, s.begin():
            order = await s.get(Order, order_id)
            ready.append(order_id)
            if len(ready) == len(order_ids):
                start.set()
            await start.wait()  # all 50 transactions open, then all redeem at once
            try:
                await PromoService(s).redeem(order)
            except PromoRejected:
                return False
            return True

    if PG_URL:
        engine = create_engine(PG_URL, pool_size=CUSTOMERS, max_overflow=0)
        try:
            sessions = create_session_pool(engine)
            results = await asyncio.gather(*(pay(sessions, i) for i in order_ids))
        finally:
            await engine.dispose()
    else:
        start.set()
        results = [await pay(pool, i) for i in order_ids]
    assert results.count(True) == 10
    async with pool() as s:
        assert await s.scalar(select(PromoCode.used).where(PromoCode.code == "RACE10")) == 60
        assert await s.scalar(select(func.count()).select_from(PromoRedemption)) == 10


async def test_one_customer_paying_two_orders_at_once_gets_one_use(session, pool):
    promo = PromoCode(code="ONCE", kind=PromoKind.percent, value=Decimal(10), per_customer=1)
    session.add(promo)
    user = await make_user(session, 77)
    orders = []
    for _ in range(2):
        order = _order(user.id, "ONCE")
        session.add(order)
        orders.append(order)
    await session.commit()

    async def pay(order_id: int) -> bool:
        async with pool() as s, s.begin():
            try:
                await PromoService(s).redeem(await s.get(Order, order_id))
            except PromoRejected:
                return False
            return True

    if PG_URL:
        results = await asyncio.gather(*(pay(o.id) for o in orders))
    else:
        results = [await pay(o.id) for o in orders]
    assert sorted(results) == [False, True]
    async with pool() as s:
        assert await s.scalar(select(PromoCode.used)) == 1


async def test_two_invoices_of_one_order_at_pre_checkout_at_once_count_one_use(session, pool):
    """The last use of a code, and the customer pays the same order from two invoices
    at once: both pre-checkouts see the use counted for this order, so neither puts the
    order back at full price while the other invoice is paid at the discount."""
    promo = PromoCode(code="LAST", kind=PromoKind.fixed, value=Decimal(10), total_uses=1)
    session.add(promo)
    user = await make_user(session, 78)
    order = _order(user.id, "LAST")
    session.add(order)
    await session.commit()
    start, ready = asyncio.Event(), []

    async def pre_checkout() -> bool:
        async with pool() as s, s.begin():
            mine = await s.get(Order, order.id)
            ready.append(mine)
            if len(ready) == 2:
                start.set()
            await start.wait()  # both transactions open, then both redeem at once
            try:
                await PromoService(s).redeem(mine)
            except PromoRejected:
                return False
            return True

    if PG_URL:
        results = await asyncio.gather(pre_checkout(), pre_checkout())
    else:
        start.set()
        results = [await pre_checkout(), await pre_checkout()]
    assert results == [True, True]
    async with pool() as s:
        assert await s.scalar(select(PromoCode.used).where(PromoCode.code == "LAST")) == 1
        assert await s.scalar(select(func.count()).select_from(PromoRedemption)) == 1


async def test_two_admins_switching_a_code_off_at_once_make_one_audit_entry(session, pool):
    """Both read the code on; one switches it off and is audited, the other's switch finds
    it off and changes nothing (one 'switched off' in the audit log, not two)."""
    if not PG_URL:  # (a second tap one after the other: tests/test_promo.py)
        pytest.skip("two transactions at once need PostgreSQL: SQLite runs one writer at a time")
    from models import AuditEntry, Role

    promo = PromoCode(code="DUO", kind=PromoKind.percent, value=Decimal(10))
    session.add(promo)
    admins = [await make_user(session, 900 + n, role=Role.admin) for n in range(2)]
    await session.commit()
    read, both_read = [], asyncio.Event()

    async def switch_off(sessions, admin_id: int) -> None:
        async with sessions() as s, s.begin():
            service = PromoService(s)
            admin = await s.get(type(admins[0]), admin_id)
            assert (await service.get(admin, promo.id)).is_active
            read.append(admin_id)
            if len(read) == 2:
                both_read.set()
            await both_read.wait()
            assert not (await service.set_active(admin, promo.id, False)).is_active

    engine = create_engine(PG_URL, pool_size=2, max_overflow=0)
    try:
        sessions = create_session_pool(engine)
        await asyncio.gather(*(switch_off(sessions, a.id) for a in admins))
    finally:
        await engine.dispose()
    async with pool() as s:
        actions = (await s.scalars(select(AuditEntry.action))).all()
        assert actions == ["promo.disable"]
        assert await s.scalar(select(PromoCode.is_active).where(PromoCode.code == "DUO")) is False
