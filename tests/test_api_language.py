"""The web API answers its refusals in the caller's language: the one Accept-Language
prefers of the shop's (a Mini App passes Telegram's language_code), else DEFAULT_LOCALE;
the same catalogs and plural forms as the bot's."""

from dataclasses import replace

import httpx

from api import create_app
from tests.api_helpers import as_, token

pytest_plugins = ["tests.api_fixtures"]
RU = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"}


async def test_refusals_follow_accept_language(client, shop):
    gone = await client.get("/products/999999", headers=RU)
    assert gone.status_code == 404 and gone.json()["detail"] == "Этот товар больше недоступен."
    assert gone.headers["content-language"] == "ru"
    english = await client.get("/products/999999", headers={"Accept-Language": "de, en;q=0.5"})
    assert english.json()["detail"] == "This product is no longer available."
    assert english.headers["content-language"] == "en"
    # A service's refusal, in its Russian plural form.
    admin = as_(shop, "admin")
    r = await client.delete(f"/categories/{shop.category}", headers={**admin, **RU})
    assert r.status_code == 409
    assert r.json()["detail"].startswith("В этой категории 2 товара (включая удалённые)")
    # A token's refusal keeps its WWW-Authenticate header.
    stale = {"Authorization": f"Bearer {token(shop.ids['customer'], minutes=-1)}", **RU}
    r = await client.get("/auth/me", headers=stale)
    assert r.status_code == 401 and r.json()["detail"] == "Токен недействителен или истёк"
    assert r.headers["www-authenticate"] == "Bearer"


async def test_without_a_header_the_shops_language(pool, api_config, shop):
    app = create_app(pool, replace(api_config, default_locale="ru"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        r = await c.get("/products/999999")
        assert r.json()["detail"] == "Этот товар больше недоступен."
        r = await c.get("/products/999999", headers={"Accept-Language": "en"})
        assert r.json()["detail"] == "This product is no longer available."


async def test_a_fields_refusal_and_a_login_refusal_in_russian(client, shop):
    """A service's refusal of a body field (422 naming it) and Telegram login's: in the
    caller's language too, with Content-Language; a 422 names its field even when the
    service didn't (the body)."""
    admin = {**as_(shop, "admin"), **RU}
    r = await client.post("/categories", headers=admin, json={"name": "Tea"})
    assert r.status_code == 422 and r.headers["content-language"] == "ru"
    assert r.json()["detail"][0]["field"] == "name"
    assert r.json()["detail"][0]["msg"] == "name: Здесь уже есть категория с таким названием."
    r = await client.patch(
        "/permission", headers=admin, json={"login": "nobody1", "role": "seller"}
    )
    assert r.json()["detail"][0]["msg"] == "login: Пользователя с таким логином нет."
    last_admin = {"user_id": shop.ids["admin"], "role": "customer"}
    r = await client.patch("/permission", headers=admin, json=last_admin)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "body"
    r = await client.post("/auth/telegram", headers=RU, json={"init_data": "a=b&hash=x"})
    assert r.status_code == 401 and r.json()["detail"] == "initData подписаны не этим ботом"
    # q is case-insensitive, and may follow another parameter: English preferred here.
    for header in ("ru;Q=0.1, en;q=0.9", "ru;level=1;q=0.5, en;q=0.9"):
        r = await client.get("/products/999999", headers={"Accept-Language": header})
        assert r.headers["content-language"] == "en", header


async def test_the_shape_of_a_request_is_refused_in_russian_too(client, shop):
    """Pydantic's own refusals (a missing field, a string too long in its plural form, a
    number that isn't one, a bad query parameter) and the 413 of a body too large: in the
    caller's language; an English caller reads pydantic's words unchanged."""
    admin = {**as_(shop, "admin"), **RU}
    r = await client.post("/categories", headers=admin, json={})
    assert r.status_code == 422 and r.headers["content-language"] == "ru"
    assert r.json()["detail"][0]["msg"] == "name: Поле обязательно"
    r = await client.post("/categories", headers=admin, json={"name": "x" * 201})
    assert r.json()["detail"][0]["msg"] == "name: Слишком длинно: можно не больше 200, а здесь 201"
    r = await client.get("/products", params={"limit": "abc"}, headers=RU)
    assert r.status_code == 422
    msg = r.json()["detail"][0]["msg"]
    assert msg == "limit: Нужно целое число: строку не удалось прочитать как целое число"
    r = await client.get("/products", params={"limit": 0}, headers=RU)
    assert r.json()["detail"][0]["msg"] == "limit: Значение должно быть не меньше 1"
    english = {**as_(shop, "admin"), "Accept-Language": "en"}
    r = await client.post("/categories", headers=english, json={"name": "x" * 201})
    assert r.json()["detail"][0]["msg"] == (
        "name: Value should have at most 200 items after validation, not 201"
    )
    assert r.headers["content-language"] == "en"
    big = b"[" + b" " * (64 * 1024) + b"]"
    headers = {**admin, "content-type": "application/json"}
    r = await client.post("/categories", content=big, headers=headers)
    assert r.status_code == 413 and r.headers["content-language"] == "ru"
    assert r.json() == {"detail": "Тело запроса слишком большое: не больше 65536 байт."}
