"""A review's author as readers see it (services.names): the Telegram first name, and
"Customer" (translated) for an account made through the web API, which has no Telegram
name; its login, the account's sign-in name, is never shown. In the API and in the bot."""

from keyboards.callback_data import ReviewsCb
from tests.api_helpers import SELLER, as_

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
