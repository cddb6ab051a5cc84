"""Back-in-stock alerts: the toggle on a sold-out card, one message per subscriber when
the stock comes back (however often it flips), blocked users, restarts, the shared rate
limit, Russian."""

import asyncio

from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage
from sqlalchemy import select

from jobs.broadcaster import RateLimiter
from jobs.restock import RestockSender
from keyboards.callback_data import CardToggle, CardToggleCb, ProductCb
from models import (
    AlertStatus,
    Order,
    OrderItem,
    OrderStatus,
    PaymentMethod,
    RestockAlert,
    Role,
    User,
)
from services.orders import OrderService
from services.products import ProductField, ProductService
from services.restock import RestockService
from tests.factories import make_category, make_product, make_user
from tests.test_broadcast_sender import FakeClock

SELLER = 500
BACK = "is back in stock"


async def _shop(session, stock: int = 0):
    seller = await make_user(session, SELLER, role=Role.seller)
    category = await make_category(session, "Teas")
    tea = await make_product(session, category, "Green tea", stock=stock, seller=seller)
    await session.commit()
    return seller, tea


def alerts_to(env, chat_id: int) -> list[SendMessage]:
    return [
        r
        for r in env.api.requests
        if isinstance(r, SendMessage) and r.chat_id == chat_id and BACK in r.text
    ]


async def _restock(pool, product_id: int, stock: int) -> None:
    """The seller sets the stock, as the seller panel does."""
    async with pool() as s, s.begin():
        seller = await s.scalar(select(User).where(User.telegram_id == SELLER))
        await ProductService(s).update_field(seller, product_id, ProductField.stock, stock)


async def _subscribe(env, user_id: int, product_id: int, **kwargs) -> None:
    await env.user(user_id, **kwargs).click(
        CardToggleCb(id=product_id, what=CardToggle.alert, on=True)
    )


async def _statuses(pool) -> dict[int, AlertStatus]:
    async with pool() as s:
        rows = await s.execute(
            select(User.telegram_id, RestockAlert.status).join(
                User, User.id == RestockAlert.user_id
            )
        )
        return dict(rows.all())


async def test_a_customer_asks_and_hears_once_when_it_is_back(env, session, pool):
    _seller, tea = await _shop(session)
    ann = env.user(1)
    card = await ann.click(ProductCb(id=tea.id))
    assert "Out of stock" in card.text and not card.has_button("Add to cart")
    reply = await ann.press("Notify me when it's back")
    assert reply.alert == "We'll send you a message when it is back in stock."
    assert "🔕 Don't notify me" in ann.shown_buttons
    await env.user(2, "Bob").click(ProductCb(id=tea.id))  # looks, doesn't ask

    sender = env.dp["restock"]
    await _restock(pool, tea.id, 5)
    assert await sender.drain(env.bot) == 1
    [alert] = alerts_to(env, 1)
    assert "Green tea" in alert.text and alerts_to(env, 2) == []
    # The message's button opens the card, now with Add to cart.
    reply = await ann.press("Open the product")
    assert reply.has_button("Add to cart") and "In stock: 5" in reply.text

    # Sold out and back again within a minute: no second message.
    await _restock(pool, tea.id, 0)
    await _restock(pool, tea.id, 5)
    assert await sender.drain(env.bot) == 0
    assert len(alerts_to(env, 1)) == 1
    # Asking again is explicit, and works again.
    await _restock(pool, tea.id, 0)
    await _subscribe(env, 1, tea.id)
    await _restock(pool, tea.id, 3)
    assert await sender.drain(env.bot) == 1
    assert len(alerts_to(env, 1)) == 2


async def test_every_subscriber_once_even_if_stock_flips_before_sending(env, session, pool):
    _seller, tea = await _shop(session)
    for uid in (1, 2, 3):
        await _subscribe(env, uid, tea.id)
    for stock in (5, 0, 5):
        await _restock(pool, tea.id, stock)
    assert await env.dp["restock"].drain(env.bot) == 3
    assert [len(alerts_to(env, uid)) for uid in (1, 2, 3)] == [1, 1, 1]
    assert set((await _statuses(pool)).values()) == {AlertStatus.sent}


async def test_sold_out_again_before_sending_waits_for_the_next_restock(env, session, pool):
    _seller, tea = await _shop(session)
    await _subscribe(env, 1, tea.id)
    await _restock(pool, tea.id, 5)
    await _restock(pool, tea.id, 0)
    sender = env.dp["restock"]
    assert await sender.drain(env.bot) == 0  # "it's back" would be untrue now
    assert (await _statuses(pool))[1] is AlertStatus.waiting
    await env.user(1).click(ProductCb(id=tea.id))
    assert "🔕 Don't notify me" in env.user(1).shown_buttons
    await _restock(pool, tea.id, 2)
    assert await sender.drain(env.bot) == 1


async def test_unsubscribing_means_no_message(env, session, pool):
    _seller, tea = await _shop(session)
    ann = env.user(1)
    await ann.click(ProductCb(id=tea.id))
    await ann.press("Notify me when it's back")
    reply = await ann.press("Don't notify me")
    assert reply.alert == "You won't get a message about this product."
    assert "🔔 Notify me when it's back" in ann.shown_buttons
    await _restock(pool, tea.id, 5)
    assert await env.dp["restock"].drain(env.bot) == 0


async def test_an_in_stock_product_needs_no_alert(env, session, pool):
    _seller, tea = await _shop(session, stock=4)
    ann = env.user(1)
    reply = await ann.click(ProductCb(id=tea.id))
    assert not reply.has_button("Notify me")
    reply = await ann.click(CardToggleCb(id=tea.id, what=CardToggle.alert, on=True))  # stale
    assert reply.alert == "Good news: it is in stock now."
    assert "🛒 Add to cart" in ann.shown_buttons
    assert await _statuses(pool) == {}


async def test_blocked_and_inactive_customers_are_skipped(env, session, pool):
    _seller, tea = await _shop(session)
    for uid in (1, 2, 3):
        await _subscribe(env, uid, tea.id)
    async with pool() as s, s.begin():
        inactive = await s.scalar(select(User).where(User.telegram_id == 3))
        inactive.is_active = False  # blocked the bot earlier (a broadcast found out)

    def hook(method):
        if isinstance(method, SendMessage) and method.chat_id == 2:
            return TelegramForbiddenError(method=method, message="Forbidden: bot was blocked")
        return None

    env.api.hook = hook
    await _restock(pool, tea.id, 5)
    assert await env.dp["restock"].drain(env.bot) == 1
    assert len(alerts_to(env, 1)) == 1 and alerts_to(env, 3) == []
    statuses = await _statuses(pool)
    assert statuses == {1: AlertStatus.sent, 2: AlertStatus.blocked, 3: AlertStatus.blocked}
    async with pool() as s:
        assert (await s.scalar(select(User.is_active).where(User.telegram_id == 2))) is False


async def test_a_restart_sends_what_was_due_and_never_repeats(make_env, env, session, pool):
    _seller, tea = await _shop(session)
    for uid in (1, 2, 3, 4):
        await _subscribe(env, uid, tea.id)
    await _restock(pool, tea.id, 5)
    # The process dies after claiming a batch of two and sending one of them.
    async with pool() as s, s.begin():
        claimed = await RestockService(s).claim(2)
    await env.bot.send_message(claimed[0].telegram_id, f"Green tea {BACK}")

    restarted = make_env(env.dp["settings"])
    assert await restarted.dp["restock"].drain(restarted.bot) == 2
    sent = {uid: len(alerts_to(env, uid)) + len(alerts_to(restarted, uid)) for uid in (1, 2, 3, 4)}
    # The two in flight at the crash are never resent (at most once); the rest go out.
    assert sent == {claimed[0].telegram_id: 1, claimed[1].telegram_id: 0} | {
        uid: 1 for uid in (1, 2, 3, 4) if uid not in {c.telegram_id for c in claimed}
    }
    assert await restarted.dp["restock"].drain(restarted.bot) == 0


async def test_alerts_share_the_broadcasts_rate_limit(env, session, pool):
    assert env.dp["restock"].limiter is env.dp["broadcaster"].limiter
    _seller, tea = await _shop(session)
    for uid in range(1, 6):
        await _subscribe(env, uid, tea.id)
    await _restock(pool, tea.id, 5)
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    sender = RestockSender(pool, limiter, env.dp["i18n"], batch_size=2)
    assert await sender.drain(env.bot) == 5
    assert abs(clock.now - 2.0) < 1e-9  # five messages at 2 a second: 0, .5, ... 2 s


async def test_a_seller_raising_stock_in_the_chat_wakes_the_sender(env, session, pool):
    _seller, tea = await _shop(session)
    await _subscribe(env, 1, tea.id)
    sender = env.dp["restock"]
    assert not sender._wake.is_set()
    seller = env.user(SELLER, "Sam")
    await seller.send("/seller")
    await seller.press("My products")
    await seller.press("Green tea")
    await seller.press("Edit")
    await seller.press("Stock")
    reply = await seller.send("7")
    assert "Saved." in reply.text
    assert sender._wake.is_set()
    assert await sender.drain(env.bot) == 1


async def test_a_cancelled_order_returning_stock_counts(env, session, pool):
    _seller, tea = await _shop(session)
    customer = await make_user(session, 9)
    order = Order(
        user_id=customer.id,
        status=OrderStatus.new,
        total=tea.price * 2,
        currency="RUB",
        payment_method=PaymentMethod.cod,
        contact_name="Eve",
        phone="+10000000000",
        items=[OrderItem(product_id=tea.id, name=tea.name, unit_price=tea.price, quantity=2)],
    )
    session.add(order)
    await session.commit()
    await _subscribe(env, 1, tea.id)
    async with pool() as s, s.begin():
        await OrderService(s).cancel(await s.get(User, customer.id), order.id)
    assert await env.dp["restock"].drain(env.bot) == 1
    assert len(alerts_to(env, 1)) == 1


async def test_in_russian(env, session, pool):
    _seller, tea = await _shop(session)
    await make_user(session, 7, language="ru")
    await session.commit()
    ivan = env.user(7, "Иван", language_code="ru")
    await ivan.click(ProductCb(id=tea.id))
    reply = await ivan.press("Сообщить о поступлении")
    assert reply.alert == "Мы напишем вам, когда товар снова появится в наличии."
    await _restock(pool, tea.id, 1)
    await env.dp["restock"].drain(env.bot)
    [alert] = [r for r in env.api.requests if isinstance(r, SendMessage) and r.chat_id == 7]
    assert "Green tea</b> снова в продаже" in alert.text
    assert alert.reply_markup.inline_keyboard[0][0].text == "🛍 Открыть товар"


async def test_the_running_sender_wakes_and_stops(env, session, pool):
    _seller, tea = await _shop(session)
    await _subscribe(env, 1, tea.id)
    arrived = asyncio.Event()

    def hook(method):
        if isinstance(method, SendMessage) and BACK in method.text:
            arrived.set()
        return None

    env.api.hook = hook
    sender = env.dp["restock"]
    task = sender.start(env.bot)
    await _restock(pool, tea.id, 5)
    sender.wake()
    await asyncio.wait_for(arrived.wait(), 10)
    await sender.stop()
    assert task.done() and len(alerts_to(env, 1)) == 1


async def test_a_product_back_in_view_with_stock_tells_its_subscribers(env, session, pool):
    """Restocked while its category was hidden, the product is owed its message when
    the category is shown again, or moved out from under a hidden one, or when the
    seller moves the product itself to a shown category."""
    from services.categories import CategoryService
    from tests.conftest import ADMIN_ID

    _seller, tea = await _shop(session)
    await make_user(session, ADMIN_ID, role=Role.admin)
    shelf = await make_category(session, "Shelf")
    cup = await make_product(session, shelf, "Cup", stock=0, seller=_seller)
    parent = await make_category(session, "Parent")
    pot = await make_product(
        session, await make_category(session, "Pots", parent=parent), "Pot", stock=0, seller=_seller
    )
    await session.commit()
    ids = {"tea": (tea.id, tea.category_id), "cup": (cup.id, shelf.id), "pot": (pot.id, 0)}
    for user_id, name in ((1, "tea"), (2, "cup"), (3, "pot")):
        await _subscribe(env, user_id, ids[name][0])
    sender = env.dp["restock"]

    async def as_admin(call):
        async with pool() as s, s.begin():
            admin = await s.scalar(select(User).where(User.telegram_id == ADMIN_ID))
            await call(CategoryService(s), admin)

    for category_id in (ids["tea"][1], shelf.id, parent.id):
        await as_admin(lambda c, a, cid=category_id: c.set_visible(a, cid, False))
    for product_id in (tea.id, cup.id, pot.id):
        await _restock(pool, product_id, 5)
    assert await sender.drain(env.bot) == 0  # all hidden: nobody told yet
    await as_admin(lambda c, a: c.set_visible(a, ids["tea"][1], True))
    assert await sender.drain(env.bot) == 1 and len(alerts_to(env, 1)) == 1
    async with pool() as s, s.begin():  # the seller moves the cup to a shown category
        seller = await s.scalar(select(User).where(User.telegram_id == SELLER))
        category = ids["tea"][1]
        await ProductService(s).update_field(seller, cup.id, ProductField.category, category)
    assert await sender.drain(env.bot) == 1 and len(alerts_to(env, 2)) == 1
    pots = pot.category_id
    await as_admin(lambda c, a: c.move(a, pots, None))  # out from under the hidden parent
    assert await sender.drain(env.bot) == 1 and len(alerts_to(env, 3)) == 1
    assert len(alerts_to(env, 1)) == 1  # told once
