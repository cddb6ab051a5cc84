"""Checkout fixes from review: double taps, invoice failures, a cart changed under an open
summary, hidden ancestor categories."""

import asyncio

import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import AnswerCallbackQuery, SendInvoice
from sqlalchemy import func, select

from keyboards.callback_data import CartAction, CartAddCb, CartCb
from models import CartItem, Order, OrderItem, PaymentMethod, Product
from services.errors import DomainError
from services.orders import Contact, OrderService
from tests.factories import make_category, make_product, make_user
from tests.test_checkout import fresh, shop, to_summary


async def count(session, model) -> int:
    return await session.scalar(
        select(func.count()).select_from(model).execution_options(populate_existing=True)
    )


async def test_double_tapped_confirm_places_one_order(env, session):
    tea = await shop(session, name="Tea", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    summary = ann.last_bot_message
    confirm = ann.find_button("Confirm", summary)
    start = len(env.api.requests)
    await asyncio.gather(ann.click(confirm, summary), ann.click(confirm, summary))
    assert await count(session, Order) == 1
    [order] = await fresh(session, Order)
    assert [i.quantity for i in await fresh(session, OrderItem)] == [2]
    [product] = await fresh(session, Product)
    assert product.stock == 3
    answers = [
        c.text for c in env.api.requests[start:] if isinstance(c, AnswerCallbackQuery) and c.text
    ]
    assert answers == ["Your order is already placed, or your cart is empty."], answers
    assert order.total == 2 * tea.price


async def test_confirm_after_the_checkout_is_over(env, session):
    """A second tap that reads its dialog state after the first tap placed the order
    (the other order of events than above) gets the same answer; a leftover summary's
    Confirm with things in the cart again is out of date."""
    tea = await shop(session, name="Tea", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    summary = ann.last_bot_message
    confirm = ann.find_button("Confirm", summary)
    await ann.click(confirm, summary)
    reply = await ann.click(confirm, summary)
    assert reply.alert == "Your order is already placed, or your cart is empty."
    await ann.click(CartAddCb(product_id=tea.id))
    reply = await ann.click(confirm, summary)
    assert "out of date" in reply.alert
    assert await count(session, Order) == 1


async def test_concurrent_checkouts_of_one_cart_make_one_order(pool, session):
    category = await make_category(session)
    product = await make_product(session, category, price="10", stock=10)
    ann = await make_user(session, 5000)
    session.add(CartItem(user_id=ann.id, product_id=product.id, quantity=3, price=product.price))
    await session.commit()
    contact = Contact("Ann", "+79991234567", "Street 1", None)

    async def buy():
        async with pool() as s, s.begin():
            await OrderService(s).checkout(ann, contact, PaymentMethod.cod, "RUB")

    results = await asyncio.gather(*(buy() for _ in range(5)), return_exceptions=True)
    assert results.count(None) == 1, results
    errors = [r for r in results if r is not None]
    assert all(isinstance(e, DomainError) for e in errors), errors
    assert {e.message for e in errors} == {"Your order is already placed, or your cart is empty."}
    assert await count(session, Order) == 1
    [row] = await fresh(session, Product)
    assert row.stock == 7


@pytest.fixture
def stars_env(make_env, settings):
    return make_env(settings.model_copy(update={"payment_method": "stars"}))


async def test_a_failed_invoice_keeps_the_order_and_says_how_to_pay(stars_env, session):
    tea = await shop(session, name="Tea", stock=5)
    ann = stars_env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)

    def no_invoice(method):
        if isinstance(method, SendInvoice):
            return TelegramNetworkError(method=method, message="timeout")
        return None

    stars_env.api.hook = no_invoice
    reply = await ann.press("Confirm")
    assert "Your order is placed" in reply.texts[0]
    assert "couldn't send the invoice" in reply.text and reply.has_button("Open the order")
    [order] = await fresh(session, Order)  # what the customer was told is true
    assert await count(session, CartItem) == 0
    [product] = await fresh(session, Product)
    assert product.stock == 4
    # Paying from the card works once Telegram is back.
    stars_env.api.hook = None
    await ann.press("Open the order")
    reply = await ann.press("Pay")
    [invoice] = reply.of(SendInvoice)
    assert invoice.payload == f"order:{order.id}"


async def test_a_cart_changed_under_the_summary_gets_a_fresh_summary(env, session):
    tea = await shop(session, name="Tea", price="100", stock=5)
    cake = await shop(session, name="Cake", price="50", stock=5)
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    assert "1. Tea: 1 ×" in (await to_summary(ann)).text
    summary = ann.last_bot_message
    # The cart's buttons still work while the summary is open.
    await ann.click(CartCb(action=CartAction.inc, product_id=tea.id))
    await ann.click(CartAddCb(product_id=cake.id))
    reply = await ann.click(ann.find_button("Confirm", summary), summary)
    assert "changed since the summary" in reply.alert
    assert "Tea: 2 ×" in reply.text and "Cake: 1 ×" in reply.text
    assert await count(session, Order) == 0
    assert await count(session, CartItem) == 2
    # What the new summary shows is what gets ordered.
    await ann.press("Confirm")
    [order] = await fresh(session, Order)
    assert {(i.name, i.quantity) for i in await fresh(session, OrderItem)} == {
        ("Tea", 2),
        ("Cake", 1),
    }
    assert order.total == 250


async def test_checkout_refuses_lines_other_than_the_summarys(pool, session):
    """The service compares the rows it claims, not what was read before."""
    from services.orders import SummaryLine, SummaryOutdated

    category = await make_category(session)
    product = await make_product(session, category, price="10", stock=10)
    ann = await make_user(session, 5000)
    session.add(CartItem(user_id=ann.id, product_id=product.id, quantity=2, price=product.price))
    await session.commit()
    contact = Contact("Ann", "+79991234567", "Street 1", None)
    async with pool() as s:
        with pytest.raises(SummaryOutdated):
            async with s.begin():
                summary = [SummaryLine(product.id, 1, product.price)]
                await OrderService(s).checkout(ann, contact, PaymentMethod.cod, "RUB", summary)
    assert await count(session, Order) == 0
    assert await count(session, CartItem) == 1


async def test_a_hidden_grandparent_category_blocks_cart_and_checkout(env, session):
    top = await make_category(session, "Top")
    middle = await make_category(session, "Middle", parent=top)
    leaf = await make_category(session, "Leaf", parent=middle)
    tea = await make_product(session, leaf, name="Tea", stock=5)
    await session.commit()
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    top.is_active = False
    await session.commit()
    reply = await ann.press("Confirm")
    assert "can't be ordered" in reply.alert
    assert "⛔" in reply.text and "No longer available" in reply.text  # the cart instead
    assert await count(session, Order) == 0
    assert await count(session, CartItem) == 1
    reply = await ann.send("/cart")
    assert "⛔" in reply.text and "No longer available" in reply.text
    reply = await ann.press("Checkout")
    assert "can't be ordered" in reply.alert
