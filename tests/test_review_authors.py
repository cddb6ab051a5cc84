"""A review's author as readers see it (services.names): the Telegram first name, and
"Customer" (translated) for an account made through the web API, which has no Telegram
name; its login, the account's sign-in name, is never shown. In the API and in the bot."""

from sqlalchemy import select

from keyboards.callback_data import ProductCb, ReviewsCb, ReviewStartCb
from models import User
from tests.api_helpers import ADMIN, SELLER, as_

pytest_plugins = ["tests.api_fixtures"]

LOGIN = "webann"


async def _web_review(client, product_id: int) -> dict:
    """A customer who registered on the website reviews the product there."""
    r = await client.post("/auth/register", json={"login": LOGIN, "password": "correct horse"})
    assert r.status_code == 201, r.text
    r = await client.post("/auth/token", data={"username": LOGIN, "password": "correct horse"})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = await client.post(
        f"/products/{product_id}/reviews", json={"grade": 5, "comment": "Fine"}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_the_api_names_a_web_only_author_customer(client, shop):
    posted = await _web_review(client, shop.product)
    assert posted["author"] == "Customer"
    listed = (await client.get(f"/products/{shop.product}/reviews")).json()["items"]
    assert [i["author"] for i in listed] == ["Customer"]
    # A Telegram user's review still shows their first name, on posting and in the list.
    r = await client.post(
        f"/products/{shop.product}/reviews", json={"grade": 4}, headers=as_(shop, "customer")
    )
    assert r.json()["author"] == "Ann"
    listed = (await client.get(f"/products/{shop.product}/reviews")).json()["items"]
    assert [i["author"] for i in listed] == ["Ann", "Customer"]
    assert LOGIN not in (await client.get(f"/products/{shop.product}/reviews")).text


async def test_the_bot_names_a_web_only_author_customer_in_each_language(
    client, env, session, shop
):
    await _web_review(client, shop.product)
    reply = await env.user(77, "Eve").click(ReviewsCb(product_id=shop.product))
    assert "<b>Customer</b>" in reply.text and LOGIN not in reply.text
    reply = await env.user(78, "Иван", language_code="ru").click(ReviewsCb(product_id=shop.product))
    assert "<b>Покупатель</b>" in reply.text
    # The product's seller answers it by that name.
    reply = await env.user(SELLER, "Sam").click(ReviewsCb(product_id=shop.product))
    assert reply.has_button("Reply: Customer")


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


async def test_direction_controls_in_telegram_names_are_not_shown_to_others(
    client, env, session, shop
):
    """A Telegram name is set in Telegram, so it never met the check typed texts get: its
    bidi controls ("\u202eevil" would read backwards, and turn around what follows it) are
    left out wherever others see the name, and kept as stored."""
    seller = await session.get(User, shop.ids["seller"])
    seller.first_name, seller.last_name = "\u202eSam", "\u2066Smith\u2069"
    await session.commit()
    eve = env.user(77, "\u202eevil", last_name="\u2067Doe")
    await eve.click(ReviewStartCb(product_id=shop.product))
    await eve.press("4⭐")
    await eve.press("Skip")
    await eve.press("Publish")
    # A reader of the product's reviews, its card, and the seller who may answer.
    reply = await env.user(78, "Bob").click(ReviewsCb(product_id=shop.product))
    assert "<b>evil</b>" in reply.text and not set(BIDI) & set(reply.text)
    card = await env.user(78, "Bob").click(ProductCb(id=shop.product))
    assert "Sam Smith" in card.text and not set(BIDI) & set(card.text)
    reply = await env.user(SELLER, "Sam").click(ReviewsCb(product_id=shop.product))
    assert reply.has_button("Reply: evil")
    assert not set(BIDI) & set("".join(reply.buttons))
    # The web API, and an admin's card of the user.
    listed = (await client.get(f"/products/{shop.product}/reviews")).json()["items"]
    assert [i["author"] for i in listed] == ["evil"]
    admin = env.user(ADMIN, "Boss")
    await admin.send("/admin")
    await admin.press("Users and roles")
    reply = await admin.send("77")
    assert "<b>👤 evil Doe</b>" in reply.text and not set(BIDI) & set(reply.text)
    # What is stored stays as Telegram gave it.
    session.expire_all()
    stored = await session.scalar(select(User).where(User.telegram_id == 77))
    assert (stored.first_name, stored.last_name) == ("\u202eevil", "\u2067Doe")
