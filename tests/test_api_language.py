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
