"""One set of rules, two doors: what happens through the API shows in the bot, and the
other way round."""

from sqlalchemy import select

from keyboards.callback_data import ProductCb
from models import Audience, User
from services.broadcast import BroadcastService
from tests.api_helpers import ADMIN, CUSTOMER, OTHER_SELLER, as_, bearer

pytest_plugins = ["tests.api_fixtures"]


async def test_a_review_posted_through_the_api_changes_the_bots_card(env, client, shop):
    ann = env.user(CUSTOMER, "Ann")
    card = await ann.click(ProductCb(id=shop.product, category_id=shop.category))
    assert "★" not in card.text and "4.5" not in card.text  # no rating to show yet
    for who, grade in (("customer", 5), ("other", 4)):
        r = await client.post(
            f"/products/{shop.product}/reviews", json={"grade": grade}, headers=as_(shop, who)
        )
        assert r.status_code == 201
    card = await ann.click(ProductCb(id=shop.product, category_id=shop.category))
    assert "4.5" in card.text and "reviews: 2" in card.text
    # The bot knows Ann has reviewed it: no second review from the card.
    assert not card.has_button("Leave a review")


async def test_a_role_set_in_the_bot_is_what_the_api_enforces(env, client, session, shop):
    boss = env.user(ADMIN, "Boss")
    await boss.send("/start")
    headers = bearer(shop.ids["other"])
    body = {"category_id": shop.category, "name": "Puer", "price": "500", "stock": 1}
    assert (await client.post("/products", json=body, headers=headers)).status_code == 201
    await boss.send(f"/promote {OTHER_SELLER} customer")
    session.expire_all()
    role = await session.scalar(select(User.role).where(User.id == shop.ids["other"]))
    assert role.value == "customer"
    # The same token, the next request: the database's role counts.
    r = await client.post("/products", json={**body, "name": "Sencha"}, headers=headers)
    assert r.status_code == 403
    assert (await client.get("/auth/me", headers=headers)).json()["role"] == "customer"


async def test_a_review_left_in_the_bot_shows_in_the_api(env, client, shop):
    ann = env.user(CUSTOMER, "Ann")
    await ann.send("/start")
    from keyboards.callback_data import ReviewStartCb

    await ann.click(ReviewStartCb(product_id=shop.product))
    await ann.press("2⭐")
    await ann.press("Skip")
    await ann.press("Publish")
    page = (await client.get(f"/products/{shop.product}/reviews")).json()
    assert [(i["grade"], i["author"]) for i in page["items"]] == [(2, "Ann")]
    # The API refuses a second one, as the bot offers only an edit.
    r = await client.post(
        f"/products/{shop.product}/reviews", json={"grade": 5}, headers=as_(shop, "customer")
    )
    assert r.status_code == 409


async def test_broadcasts_skip_users_the_bot_cannot_reach(client, session, shop):
    before = await BroadcastService(session).count_audience(Audience.everyone)
    r = await client.post("/auth/register", json={"login": "webby", "password": "password1"})
    assert r.status_code == 201
    assert await BroadcastService(session).count_audience(Audience.everyone) == before
    user = await session.scalar(select(User).where(User.login == "webby"))
    assert user.telegram_id is None
