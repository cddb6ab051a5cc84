"""Replies that promise something was saved go out only once it is: when the database
refuses the commit, the user hears of the failure, and nothing was kept."""

from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import tests.test_payments
import tests.test_reviews
import tests.test_seller
from keyboards.callback_data import CartAddCb, ReviewStartCb
from models import CartItem, Order, OrderStatus, Product, Review
from tests.redis_env import redis_prefix, workers  # noqa: F401 (fixtures)
from tests.test_checkout import to_summary
from tests.test_payments import order_by
from tests.test_reviews import CUSTOMER
from tests.test_seller import SELLER, fill_draft

# Fixtures shared with the features' own tests.
tea, stars_env, shop, seller_shop = (
    tests.test_payments.tea,
    tests.test_payments.stars_env,
    tests.test_reviews.shop,
    tests.test_seller.shop,
)

NOT_SAVED = "That could not be saved, so nothing has changed. Please try again."


@pytest.fixture
def refused(monkeypatch):
    """Inside the block, the database refuses the first commit (as a lost connection or
    a serialization failure would); later ones go through."""
    real = Session.commit

    @contextmanager
    def block():
        def fail(self):
            monkeypatch.setattr(Session, "commit", real)
            raise OperationalError("COMMIT", {}, Exception("the server closed the connection"))

        monkeypatch.setattr(Session, "commit", fail)
        try:
            yield
        finally:
            monkeypatch.setattr(Session, "commit", real)

    return block


async def count(session, model) -> int:
    session.expire_all()
    return await session.scalar(select(func.count()).select_from(model))


async def test_an_order_is_placed_only_when_it_is_saved(env, session, tea, refused):
    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)
    with refused():
        reply = await ann.press("Confirm")
    assert reply.alert == NOT_SAVED
    assert not any("placed" in t.lower() for t in reply.texts)
    assert await count(session, Order) == 0 and await count(session, CartItem) == 1
    # Nothing was lost: the same summary's Confirm places the order now.
    reply = await ann.press("Confirm")
    assert any("placed" in t for t in reply.texts)
    assert await count(session, Order) == 1


async def test_a_review_is_published_only_when_it_is_saved(env, session, shop, refused):
    ann = env.user(CUSTOMER)
    await ann.click(ReviewStartCb(product_id=shop))
    await ann.press("4⭐")
    await ann.send("Nice")
    with refused():
        reply = await ann.press("Publish")
    assert reply.alert == NOT_SAVED
    assert not any("published" in t for t in reply.texts)
    assert await count(session, Review) == 0
    reply = await ann.press("Publish")
    assert "published" in reply.texts[0] and await count(session, Review) == 1


async def _publish_refused_then_again(bot, session, refused):
    seller = bot.user(SELLER)
    await fill_draft(seller, name="Green tea")
    with refused():
        reply = await seller.press("Publish")
    assert reply.alert == NOT_SAVED
    assert await count(session, Product) == 0
    reply = await seller.press("Publish")
    assert "Published" in reply.text
    [product] = (await session.scalars(select(Product))).all()
    assert product.name == "Green tea" and product.stock == 5


async def test_a_product_is_published_only_when_it_is_saved_and_the_draft_is_kept(
    env, session, seller_shop, refused
):
    """The six steps' answers are not lost with the failed commit (the handler ends the
    dialog before the commit it fails): Publish again works."""
    await _publish_refused_then_again(env, session, refused)


async def test_the_draft_is_kept_when_the_dialog_lives_in_redis(
    workers,  # noqa: F811
    settings,
    session,
    seller_shop,
    refused,
):
    """The same with the dialog in Redis, whose writes are no part of the transaction:
    the update going out puts the dialog back as it came in."""
    await _publish_refused_then_again(workers(settings), session, refused)


async def test_a_payment_that_cannot_be_recorded_is_not_called_paid(
    stars_env, session, tea, refused
):
    ann = stars_env.user(1)
    await order_by(ann, tea)
    with refused():
        reply = await ann.pay("order:1", 13, charge_id="ch-lost")
    assert not any("is paid" in t for t in reply.texts)
    [told] = reply.texts
    assert "/paysupport" in told and "ch-lost" in told
    session.expire_all()
    order = await session.scalar(select(Order))
    assert order.status is OrderStatus.new and order.telegram_payment_charge_id is None


async def test_a_button_answer_goes_out_after_the_commit(env, session, tea, refused):
    with refused():
        reply = await env.user(1).click(CartAddCb(product_id=tea.id))
    assert reply.alert == "Sorry, something went wrong. Please try again."
    assert await count(session, CartItem) == 0


async def test_an_order_saved_is_not_called_a_failure_when_telegram_is_unreachable(
    env, session, tea
):
    from aiogram.exceptions import TelegramNetworkError
    from aiogram.methods import EditMessageText

    ann = env.user(1)
    await ann.click(CartAddCb(product_id=tea.id))
    await to_summary(ann)

    def offline(method):
        if isinstance(method, EditMessageText):
            return TelegramNetworkError(method=method, message="Request timeout error")

    env.api.hook = offline
    reply = await ann.press("Confirm")
    assert await count(session, Order) == 1
    assert reply.alert != "Sorry, something went wrong. Please try again."
