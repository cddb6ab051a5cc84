"""The web API at its edges: requests racing, a currency without cents, deep category
trees, paging past the end."""

from dataclasses import replace
from decimal import Decimal

import httpx
from sqlalchemy import insert

from api import create_app
from bot.i18n import create_i18n
from keyboards.admin import move_targets_kb
from models import Category, User
from services.categories import MAX_LEVELS, CategoryService
from tests.api_helpers import as_

pytest_plugins = ["tests.api_fixtures"]


def _client(pool, config) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(pool, config), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://api")


async def test_a_write_refused_before_the_commit_is_a_409_not_a_500(
    pool, api_config, shop, monkeypatch
):
    """Two products named alike posted at once both find "oolong" free; the slug's
    UNIQUE constraint refuses the second at the service's flush, before the commit.
    That is a 409 to retry, as a refused commit is, and nothing of it is kept."""
    import services.products

    async with _client(pool, api_config) as client:
        body = {"category_id": shop.category, "name": "Oolong", "price": "10"}
        first = await client.post("/products", json=body, headers=as_(shop, "seller"))
        assert first.status_code == 201

        async def same_slug(*_args, **_kwargs) -> str:  # what the racing request saw
            return first.json()["slug"]

        monkeypatch.setattr(services.products, "unique_slug", same_slug)
        r = await client.post("/products", json=body, headers=as_(shop, "seller"))
        assert r.status_code == 409, r.text
        assert r.json() == {"detail": "That conflicts with a change made at the same time."}
        listed = (await client.get("/products", params={"q": "Oolong"})).json()["items"]
        assert len(listed) == 1


async def test_a_jpy_shop_takes_a_thousands_comma_as_the_bot_does(pool, api_config, shop):
    """In JPY "1,299" can only be 1,299 yen: the seller's dialog takes it, so does the API.
    In a currency with cents it is still a question, on the price field."""
    body = {"category_id": shop.category, "name": "Matcha", "price": "1,299", "stock": 1}
    async with _client(pool, replace(api_config, currency="JPY")) as client:
        r = await client.post("/products", json=body, headers=as_(shop, "seller"))
        assert r.status_code == 201, r.text
        assert Decimal(r.json()["price"]) == 1299
        r = await client.patch(
            f"/products/{shop.product}", json={"price": "2,500"}, headers=as_(shop, "seller")
        )
        assert r.status_code == 200 and Decimal(r.json()["price"]) == 2500
    async with _client(pool, api_config) as client:  # RUB
        r = await client.post("/products", json=body, headers=as_(shop, "seller"))
        assert r.status_code == 422 and "Did you mean 1299?" in r.text
        assert r.json()["detail"][0]["loc"] == ["body", "price"]


async def test_a_price_may_carry_the_shops_currency_and_no_other(pool, api_config, shop):
    """In a dollar shop the API saved "100 ₽" as $100 and refused "$100" (the bot had
    been fixed, the API's schema still read ruble marks only; found by a review)."""
    body = {"category_id": shop.category, "name": "Matcha", "price": "$100", "stock": 1}
    async with _client(pool, replace(api_config, currency="USD")) as client:
        r = await client.post("/products", json=body, headers=as_(shop, "seller"))
        assert r.status_code == 201, r.text
        assert Decimal(r.json()["price"]) == 100
        r = await client.patch(
            f"/products/{shop.product}", json={"price": "100 ₽"}, headers=as_(shop, "seller")
        )
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "price"]
        assert "Prices here are in USD" in r.text
        r = await client.patch(
            f"/products/{shop.product}", json={"price": "abc"}, headers=as_(shop, "seller")
        )
        assert r.status_code == 422 and "Send the price as a number" in r.text


async def test_the_tree_is_at_most_max_levels_deep_and_never_a_cycle(client, shop):
    """Nesting stops at MAX_LEVELS, on create and on move (a branch moved under another
    may not pass it either); a move under a deep descendant is a cycle, refused, and
    the tree still lists everything."""
    admin = as_(shop, "admin")
    root = parent = (await client.post("/categories", json={"name": "Root"}, headers=admin)).json()[
        "id"
    ]
    chain = [root]
    for i in range(MAX_LEVELS - 1):
        body = {"name": f"L{i}", "parent_id": parent}
        r = await client.post("/categories", json=body, headers=admin)
        assert r.status_code == 201, (i, r.text)
        parent = r.json()["id"]
        chain.append(parent)
    r = await client.post(
        "/categories", json={"name": "Deeper", "parent_id": parent}, headers=admin
    )
    assert r.status_code == 422 and f"at most {MAX_LEVELS} levels" in r.text
    r = await client.patch(f"/categories/{root}", json={"parent_id": parent}, headers=admin)
    assert r.status_code == 422 and "under itself or its subcategory" in r.text
    # A two-level branch may go under level 18 (ending at 20), not under level 19.
    branch = (await client.post("/categories", json={"name": "B"}, headers=admin)).json()["id"]
    body = {"name": "B1", "parent_id": branch}
    assert (await client.post("/categories", json=body, headers=admin)).status_code == 201
    r = await client.patch(f"/categories/{branch}", json={"parent_id": chain[-2]}, headers=admin)
    assert r.status_code == 422 and f"at most {MAX_LEVELS} levels" in r.text
    r = await client.patch(f"/categories/{branch}", json={"parent_id": chain[-3]}, headers=admin)
    assert r.status_code == 200, r.text
    tree = (await client.get("/categories", headers=admin)).json()
    assert "Root" in [c["name"] for c in tree]


async def test_a_tree_deeper_than_max_levels_from_an_older_database_still_lists(
    client, session, shop
):
    """A database from before MAX_LEVELS (or edited by hand) may hold a chain 1,200
    levels deep. `GET /categories` used to answer 500 past about 250 levels; it lists
    every category once, the levels past the last one on it, depth first, each with
    its real parent. The admin's "Move" list walks it too, indented at most that deep."""
    parent, chain = shop.category, []
    for i in range(1200):
        parent = await session.scalar(
            insert(Category)
            .values(name=f"D{i}", slug=f"d{i}", parent_id=parent)
            .returning(Category.id)
        )
        chain.append(parent)
    await session.commit()
    for who in ("admin", "customer"):
        r = await client.get("/categories", headers=as_(shop, who))
        assert r.status_code == 200, r.text
        level, depth = r.json(), 1
        while not any(n["id"] == chain[-1] for n in level):
            level, depth = next(n for n in level if n["children"])["children"], depth + 1
        assert depth == MAX_LEVELS
        deep = chain[MAX_LEVELS - 2 :]  # Tea is level 1: D18 is the last level's first
        assert [n["id"] for n in level] == deep and not any(n["children"] for n in level)
        assert [n["parent_id"] for n in level[1:3]] == deep[:2]
    r = await client.patch(
        f"/categories/{chain[5]}", json={"name": "D5b"}, headers=as_(shop, "admin")
    )
    assert r.status_code == 200 and r.json()["children"][0]["id"] == chain[6]
    service = CategoryService(session)
    admin = await session.get(User, shop.ids["admin"])
    targets = await service.move_targets(admin, shop.hidden_category)
    assert [t.id for t in targets if t.id in chain] == chain
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("en"):
        kb = move_targets_kb(await service.get(admin, shop.hidden_category), targets[-3:], 1, 1)
    texts = [b.text for row in kb.inline_keyboard for b in row]
    assert any(t.startswith("· " * (MAX_LEVELS - 1) + "D1199") for t in texts), texts
    assert not any(("· " * MAX_LEVELS) in t for t in texts)


async def test_a_patched_category_answers_with_its_subcategories(client, shop):
    admin = as_(shop, "admin")
    body = {"name": "Green", "parent_id": shop.category}
    assert (await client.post("/categories", json=body, headers=admin)).status_code == 201
    r = await client.patch(f"/categories/{shop.category}", json={"name": "Teas"}, headers=admin)
    assert r.status_code == 200
    assert r.json()["name"] == "Teas"
    assert [c["name"] for c in r.json()["children"]] == ["Green"]


async def test_a_review_page_past_the_end_is_empty(client, shop):
    """As in /orders/me: a client paging until an empty page gets one."""
    r = await client.get(f"/products/{shop.other_product}/reviews", params={"page": 1})
    assert [i["comment"] for i in r.json()["items"]] == ["Good"]
    r = await client.get(f"/products/{shop.other_product}/reviews", params={"page": 2})
    assert r.status_code == 200
    assert (r.json()["items"], r.json()["page"], r.json()["total"]) == ([], 2, 1)
