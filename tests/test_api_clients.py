"""What a Mini App or website meets calling the API: requests racing each other, a
browser's CORS preflight, JSON true where a number belongs, a refusal naming its field,
an expired token, and a Telegram login in the shop's language."""

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import replace
from urllib.parse import urlencode

import httpx
from sqlalchemy import select

from api import create_app
from models import Review, Role, User
from services.categories import CategoryService
from services.reviews import ReviewService
from tests.api_helpers import as_, bearer, token
from tests.factories import make_category, make_user
from tests.tg import TOKEN

pytest_plugins = ["tests.api_fixtures"]


def _client(pool, config) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(pool, config), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://api")


def _slowed(monkeypatch, cls, name, when, seconds):
    """Widens a race: `cls.name` sleeps after it returns, when `when(args)` says so."""
    real = getattr(cls, name)

    async def slow(self, *args, **kwargs):
        found = await real(self, *args, **kwargs)
        if when(args, kwargs):
            await asyncio.sleep(seconds)
        return found

    monkeypatch.setattr(cls, name, slow)


async def test_a_double_tapped_review_is_published_once_the_second_is_a_409(
    pool, api_config, session, shop, monkeypatch
):
    """Both requests pass the "no review yet" check before either inserts. The second
    used to be taken as an edit (201 both, the second text replacing the first)."""
    _slowed(monkeypatch, ReviewService, "own", lambda a, kw: not kw.get("lock"), 0.2)
    url, customer = f"/products/{shop.product}/reviews", as_(shop, "customer")
    async with _client(pool, api_config) as c:
        first, second = await asyncio.gather(
            c.post(url, json={"grade": 5, "comment": "First"}, headers=customer),
            c.post(url, json={"grade": 1, "comment": "Second"}, headers=customer),
        )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    won = first if first.status_code == 201 else second
    kept = (await session.scalars(select(Review).where(Review.product_id == shop.product))).all()
    assert [(r.grade, r.comment) for r in kept] == [(won.json()["grade"], won.json()["comment"])]


async def test_an_edit_racing_a_delete_is_never_a_500(pool, api_config, session, shop, monkeypatch):
    """The author's PATCH reads the review, an admin's DELETE commits, the PATCH's UPDATE
    finds no row (SQLite: its lock comes only with the write). A rename racing a
    category's delete likewise. Answered 409 (try again: then 404), not 500."""
    second = await make_user(session, 9999, Role.admin, first_name="Two")
    empty = await make_category(session, "Empty")
    await session.commit()
    _slowed(monkeypatch, ReviewService, "own", lambda a, kw: kw.get("lock"), 0.3)
    _slowed(monkeypatch, CategoryService, "get", lambda a, kw: a[0].id == second.id, 0.3)
    admin = as_(shop, "admin")
    async with _client(pool, api_config) as c:

        async def later(url):
            await asyncio.sleep(0.1)
            return await c.delete(url, headers=admin)

        edit, gone = await asyncio.gather(
            c.patch(f"/reviews/{shop.review}", json={"grade": 2}, headers=as_(shop, "customer")),
            later(f"/reviews/{shop.review}"),
        )
        assert gone.status_code == 204 and edit.status_code in (200, 404, 409), edit.text
        assert not await session.scalar(select(Review).where(Review.id == shop.review))
        rename, gone = await asyncio.gather(
            c.patch(f"/categories/{empty.id}", json={"name": "New"}, headers=bearer(second.id)),
            later(f"/categories/{empty.id}"),
        )
        assert gone.status_code == 204 and rename.status_code in (200, 409), rename.text
        names = [n["name"] for n in (await c.get("/categories", headers=admin)).json()]
        assert "Empty" not in names and "New" not in names


async def test_a_browser_on_the_origins_named_may_call_the_api(pool, api_config):
    """API_CORS_ORIGINS: a Mini App served from its own site. Unset, no CORS headers."""
    preflight = {
        "Origin": "https://shop.example",
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    config = replace(api_config, cors_origins=("https://shop.example",))
    async with _client(pool, config) as c:
        r = await c.options("/products/1", headers=preflight)
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://shop.example"
        assert "PATCH" in r.headers["access-control-allow-methods"]
        r = await c.get("/products", headers={"Origin": "https://shop.example"})
        assert r.headers["access-control-allow-origin"] == "https://shop.example"
        # What a page's script may read: a lockout's wait, a photo's tag, why a 401.
        exposed = r.headers["access-control-expose-headers"].lower()
        assert {"retry-after", "etag", "www-authenticate"} <= set(exposed.split(", "))
        r = await c.options("/products", headers={**preflight, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers
    async with _client(pool, api_config) as c:
        r = await c.get("/products", headers={"Origin": "https://shop.example"})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


async def test_json_true_is_not_the_number_one(client, session, shop):
    cases = [
        ("post", f"/products/{shop.product}/reviews", {"grade": True}, "customer"),
        ("patch", "/permission", {"user_id": True, "role": "seller"}, "admin"),
        ("patch", "/permission", {"telegram_id": True, "role": "seller"}, "admin"),
        ("post", "/categories", {"name": "Sub", "parent_id": True}, "admin"),
    ]
    for method, url, body, who in cases:
        r = await client.request(method, url, json=body, headers=as_(shop, who))
        assert r.status_code == 422, (url, body, r.text)
        assert r.json()["detail"][0]["msg"].endswith("a number, not true or false")
    assert (await session.get(User, 1)).role is Role.customer
    assert await session.scalar(select(Review).where(Review.product_id == shop.product)) is None


async def test_a_refusal_names_the_field_and_a_missing_id_in_the_body_is_not_a_404(client, shop):
    """A client reading 404 on PATCH /products/{id} as "the product is gone" would drop a
    product that is there: a missing or hidden category given in the body is a 422 on
    that field, as is a name the service refuses."""
    admin, seller = as_(shop, "admin"), as_(shop, "seller")
    cases = [
        ("patch", f"/categories/{shop.category}", {"parent_id": 99999}, admin, "parent_id"),
        ("post", "/categories", {"name": "Sub", "parent_id": 99999}, admin, "parent_id"),
        ("post", "/categories", {"name": "x" * 150}, admin, "name"),
        ("post", "/categories", {"name": "tea"}, admin, "name"),  # Tea is there
        (
            "patch",
            f"/categories/{shop.category}",
            {"parent_id": 1, "move_to_top": True},
            admin,
            "parent_id",
        ),
        (
            "patch",
            f"/products/{shop.product}",
            {"category_id": shop.hidden_category},
            seller,
            "category_id",
        ),
        ("patch", f"/products/{shop.product}", {"category_id": 99999}, seller, "category_id"),
        (
            "post",
            "/products",
            {"category_id": 99999, "name": "X", "price": "1"},
            seller,
            "category_id",
        ),
    ]
    for method, url, body, who, field in cases:
        r = await client.request(method, url, json=body, headers=who)
        assert r.status_code == 422, (url, body, r.text)
        error = r.json()["detail"][0]
        assert (error["field"], error["loc"]) == (field, ["body", field]), (body, error)
        assert error["msg"].startswith(f"{field}: ")
    r = await client.get(f"/products/{shop.product}", headers=seller)
    assert r.status_code == 200 and r.json()["category_id"] == shop.category


async def test_an_expired_token_is_a_401_on_every_read(client, shop):
    """Some public reads ignored the token and others refused it: a Mini App keeping
    its token saw half the catalog fail once it expired."""
    expired = {"Authorization": f"Bearer {token(shop.ids['customer'], minutes=-1)}"}
    for url in (
        "/products",
        f"/products/{shop.product}/reviews",
        "/categories",
        f"/products/{shop.product}",
    ):
        assert (await client.get(url, headers=expired)).status_code == 401, url
        assert (await client.get(url)).status_code == 200, url


async def test_a_mini_app_login_registers_in_the_language_the_bot_would(pool, api_config, session):
    """A new user whose Telegram speaks German, in a shop whose DEFAULT_LOCALE is ru:
    the bot would speak Russian to them, and so does the account the API makes."""
    fields = {
        "auth_date": str(int(time.time())),
        "user": json.dumps({"id": 4242, "first_name": "Hans", "language_code": "de"}),
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    async with _client(pool, replace(api_config, default_locale="ru")) as c:
        r = await c.post("/auth/telegram", json={"init_data": urlencode(fields)})
        assert r.status_code == 200, r.text
    user = await session.scalar(select(User).where(User.telegram_id == 4242))
    assert user.language == "ru"


async def test_a_null_in_a_product_patch_removes_the_description_or_is_refused(
    client, session, shop
):
    """`description: null` answered 200 and kept the description (a review's
    `comment: null` removes it); null for a name or price was ignored the same way."""
    seller = as_(shop, "seller")
    url = f"/products/{shop.product}"
    r = await client.patch(url, json={"description": "Grown on a hill"}, headers=seller)
    assert r.json()["description"] == "Grown on a hill"
    r = await client.patch(url, json={"description": None}, headers=seller)
    assert r.status_code == 200 and r.json()["description"] == ""
    for field in ("name", "price", "stock", "category_id", "is_active"):
        r = await client.patch(url, json={field: None, "description": "x"}, headers=seller)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == field, r.text
    r = await client.get(url, headers=seller)
    assert r.json()["name"] == "Green tea" and r.json()["description"] == ""


async def test_a_null_in_a_review_or_category_patch_is_refused(client, shop):
    """As in a product's: null for what can't be empty was ignored (200, nothing done);
    a category's `parent_id: null` could be read as "to the top" (`move_to_top` is)."""
    review, category = f"/reviews/{shop.review}", f"/categories/{shop.category}"
    cases = [
        (review, "grade", "customer"),
        (review, "is_visible", "admin"),
        (category, "name", "admin"),
        (category, "parent_id", "admin"),
        (category, "is_active", "admin"),
    ]
    for url, field, who in cases:
        r = await client.patch(url, json={field: None}, headers=as_(shop, who))
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == field, r.text
    r = await client.patch(review, json={"comment": None}, headers=as_(shop, "customer"))
    assert r.status_code == 200 and r.json()["comment"] in ("", None)


async def test_a_customer_adding_a_product_is_a_403_whatever_the_body(client, shop):
    body = {"category_id": 99999, "name": "X", "price": "1"}
    r = await client.post("/products", json=body, headers=as_(shop, "customer"))
    assert r.status_code == 403
