"""ReviewService directly: the rating invariant, validation, authorization."""

import asyncio
import random

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Product, Review, Role, User
from services.errors import InvalidInput, NotAllowed
from services.reviews import (
    ProductUnavailable,
    ReviewGone,
    ReviewService,
    clean_comment,
    clean_reply,
)
from tests.conftest import PG_URL
from tests.factories import make_category, make_product, make_user


async def assert_rating_invariant(session) -> None:
    """Each product's stored aggregate equals the sum and count of its visible reviews."""
    visible = await session.execute(
        select(Review.product_id, func.sum(Review.grade), func.count())
        .where(Review.is_visible)
        .group_by(Review.product_id)
    )
    expected = {product_id: (int(total), count) for product_id, total, count in visible}
    stored = await session.execute(select(Product.id, Product.rating_sum, Product.rating_count))
    for product_id, rating_sum, rating_count in stored:
        assert (rating_sum, rating_count) == expected.get(product_id, (0, 0)), product_id


@pytest.fixture
async def world(session):
    admin = await make_user(session, 1000, Role.admin)
    sellers = [await make_user(session, 900 + i, Role.seller) for i in range(2)]
    customers = [await make_user(session, 10 + i) for i in range(5)]
    category = await make_category(session)
    products = [await make_product(session, category, seller=sellers[i % 2]) for i in range(3)]
    await session.commit()
    return admin, sellers, customers, products


@pytest.mark.parametrize("seed", range(6))
async def test_rating_equals_visible_reviews_after_any_sequence(session, world, seed):
    admin, _sellers, customers, products = world
    service = ReviewService(session)
    rng = random.Random(seed)
    for _step in range(60):
        op = rng.choice(["add", "add", "edit", "hide", "unhide", "delete"])
        reviews = list(await session.scalars(select(Review)))
        if op in ("add", "edit") or not reviews:
            user, product = rng.choice(customers), rng.choice(products)
            await service.submit(user, product.id, rng.randint(1, 5), rng.choice([None, "ok"]))
        else:
            target = rng.choice(reviews).id
            if op == "delete":
                await service.delete(admin, target)
            else:
                await service.set_visible(admin, target, op == "unhide")
        # Committing every few steps also checks that what is stored, not only what is
        # cached in the session, is right.
        if rng.random() < 0.3:
            await session.commit()
        await assert_rating_invariant(session)
    await session.commit()
    session.expire_all()
    await assert_rating_invariant(session)


async def test_edit_of_a_hidden_review_keeps_it_hidden_and_out_of_the_rating(session, world):
    admin, _sellers, customers, products = world
    service = ReviewService(session)
    review, created = await service.submit(customers[0], products[0].id, 5, None)
    assert created
    await service.set_visible(admin, review.id, False)
    again, created = await service.submit(customers[0], products[0].id, 1, "changed")
    assert (again.id, created, again.is_visible, again.grade) == (review.id, False, False, 1)
    assert (products[0].rating_sum, products[0].rating_count) == (0, 0)
    await service.set_visible(admin, review.id, True)
    assert (products[0].rating_sum, products[0].rating_count) == (1, 1)
    await assert_rating_invariant(session)


async def test_moderation_is_recorded_and_repeats_are_no_ops(session, world):
    admin, _sellers, customers, products = world
    service = ReviewService(session)
    review, _ = await service.submit(customers[0], products[0].id, 4, "x")
    await service.set_visible(admin, review.id, False)
    await service.set_visible(admin, review.id, False)
    await service.delete(admin, review.id)
    entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.actor_id, e.target_type) for e in entries] == [
        ("review.hide", admin.id, "review"),
        ("review.delete", admin.id, "review"),
    ]
    assert entries[1].before["grade"] == 4 and entries[1].after is None
    with pytest.raises(ReviewGone):
        await service.delete(admin, review.id)


async def test_only_admins_moderate(session, world):
    _admin, sellers, customers, products = world
    service = ReviewService(session)
    review, _ = await service.submit(customers[0], products[0].id, 4, None)
    for actor in (customers[1], sellers[0], customers[0]):
        with pytest.raises(NotAllowed):
            await service.set_visible(actor, review.id, False)
        with pytest.raises(NotAllowed):
            await service.delete(actor, review.id)
        with pytest.raises(NotAllowed):
            await service.latest(actor, 1, 5)
    assert review.is_visible and products[0].rating_count == 1


async def test_only_the_products_seller_replies(session, world):
    admin, sellers, customers, products = world
    service = ReviewService(session)
    review, _ = await service.submit(customers[0], products[0].id, 4, None)  # seller 0's
    for actor in (admin, sellers[1], customers[0]):
        with pytest.raises(NotAllowed):
            await service.reply(actor, review.id, "hi")
    await service.reply(sellers[0], review.id, "  thanks  ")
    assert review.seller_reply == "thanks"


async def test_sellers_cannot_review_their_products_and_hidden_ones_are_refused(session, world):
    _admin, sellers, customers, products = world
    service = ReviewService(session)
    with pytest.raises(NotAllowed):
        await service.submit(sellers[0], products[0].id, 5, None)
    await service.submit(sellers[0], products[1].id, 5, None)  # another seller's product
    products[2].is_active = False
    await session.flush()
    with pytest.raises(ProductUnavailable):
        await service.submit(customers[0], products[2].id, 5, None)


@pytest.mark.parametrize("clean", [clean_comment, clean_reply])
def test_text_limits(clean):
    assert clean("  hello  ") == "hello"
    assert clean("a" * 1000) == "a" * 1000
    with pytest.raises(InvalidInput):
        clean("a" * 1001)
    with pytest.raises(InvalidInput):
        clean("   ")


async def test_grade_must_be_one_to_five(session, world):
    _admin, _sellers, customers, products = world
    service = ReviewService(session)
    for grade in (0, 6, -1):
        with pytest.raises(InvalidInput):
            await service.submit(customers[0], products[0].id, grade, None)


@pytest.mark.skipif(not PG_URL, reason="concurrent writers need PostgreSQL")
async def test_concurrent_reviews_lose_no_update(pool, session, world):
    _admin, _sellers, customers, products = world
    product_id = products[0].id

    async def publish(user_id: int, grade: int) -> None:
        async with pool() as s, s.begin():
            await s.get(Product, product_id)  # everyone has read the old aggregate...
            await asyncio.sleep(0.05)  # ...before anyone writes
            user = await s.get(User, user_id)
            await ReviewService(s).submit(user, product_id, grade, None)
            await asyncio.sleep(0.05)  # hold the locks so the others queue behind

    await asyncio.gather(*(publish(c.id, 1 + i % 5) for i, c in enumerate(customers)))
    # One customer publishing twice at once: one review, the second publish edits it.
    await asyncio.gather(publish(customers[0].id, 5), publish(customers[0].id, 5))
    session.expire_all()
    await assert_rating_invariant(session)
    count = await session.scalar(select(func.count()).select_from(Review))
    assert count == len(customers)
    product = await session.get(Product, product_id)
    assert (product.rating_sum, product.rating_count) == (5 + 2 + 3 + 4 + 5, 5)
