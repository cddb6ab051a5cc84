"""What the API's resources do, rule by rule (the bot's rules, through its services)."""

from dataclasses import replace
from decimal import Decimal

import httpx
from sqlalchemy import select, update

from api import create_app
from models import AuditEntry, Category, Product, Role, User
from services.validation import NAME_MAX
from tests.api_helpers import as_
from tests.factories import make_category, make_product, make_user

pytest_plugins = ["tests.api_fixtures"]


# -- categories ---------------------------------------------------------------------------


async def test_category_tree_hides_hidden_ones_from_customers(client, session, shop):
    tea = await session.get(Category, shop.category)
    await make_category(session, "Green", parent=tea)
    await make_category(
        session, "Under secret", parent=await session.get(Category, shop.hidden_category)
    )
    await session.commit()
    r = await client.get("/categories")
    assert [(c["name"], [k["name"] for k in c["children"]]) for c in r.json()] == [
        ("Tea", ["Green"])
    ]
    assert r.json()[0]["product_count"] == 2
    r = await client.get("/categories", headers=as_(shop, "admin"))
    assert [c["name"] for c in r.json()] == ["Tea", "Secret"]
    assert r.json()[1]["children"][0]["name"] == "Under secret"


async def test_category_crud_slugs_audit_and_conflicts(client, session, shop):
    admin = as_(shop, "admin")
    r = await client.post("/categories", json={"name": "Зелёный чай"}, headers=admin)
    assert r.status_code == 201 and r.json()["slug"] == "zelenyi-chai"
    new_id = r.json()["id"]
    r = await client.post("/categories", json={"name": "зелёный ЧАЙ"}, headers=admin)
    assert r.status_code == 422 and "already a category" in r.text
    r = await client.post("/categories", json={"name": "Sub", "parent_id": new_id}, headers=admin)
    assert r.status_code == 201 and r.json()["parent_id"] == new_id
    r = await client.patch(f"/categories/{new_id}", json={"name": "Green tea"}, headers=admin)
    assert r.json()["slug"] == "green-tea"
    r = await client.delete(f"/categories/{new_id}", headers=admin)
    assert r.status_code == 409 and "subcategory" in r.json()["detail"]
    r = await client.delete(f"/categories/{shop.category}", headers=admin)
    assert r.status_code == 409 and "2 products" in r.json()["detail"]
    r = await client.patch(f"/categories/{shop.category}", json={"parent_id": 999}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "parent_id"
    r = await client.post("/categories", json={"name": "  "}, headers=admin)
    assert r.status_code == 422
    actions = [e.action for e in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["category.create", "category.create", "category.rename"]


# -- products -----------------------------------------------------------------------------


async def test_products_keyset_pages_with_next(client, session, shop):
    category = await session.get(Category, shop.category)
    for i in range(5):
        await make_product(session, category, f"Extra {i}")
    await make_product(session, category, "Hidden", is_active=False)
    await make_product(session, category, "Gone", is_deleted=True)
    await session.commit()
    seen, after = [], 0
    while True:
        r = await client.get(f"/products?category={shop.category}&limit=3&after={after}")
        body = r.json()
        seen += [p["name"] for p in body["items"]]
        if body["next"] is None:
            break
        after = body["next"]
    assert seen == ["Green tea", "Black tea"] + [f"Extra {i}" for i in range(5)]
    # Under a hidden category nothing is listed, however deep.
    under = await make_category(
        session, "Under", parent=await session.get(Category, shop.hidden_category)
    )
    await make_product(session, under, "Unseen")
    await session.commit()
    r = await client.get(f"/products?category={under.id}")
    assert r.json() == {"items": [], "next": None}
    assert "Unseen" not in (await client.get("/products?q=unseen")).text
    under.parent_id = None
    await session.commit()
    r = await client.get(f"/products?category={under.id}")
    assert [p["name"] for p in r.json()["items"]] == ["Unseen"]
    r = await client.get("/products?q=GREEN")
    assert [p["name"] for p in r.json()["items"]] == ["Green tea"]
    assert (await client.get("/products?limit=0")).status_code == 422
    assert (await client.get("/products?category=abc")).json()["detail"][0]["field"] == "category"


async def test_hidden_and_deleted_products(client, session, shop):
    product = await session.get(Product, shop.product)
    product.is_active = False
    await session.commit()
    for who, status in [
        (None, 404),
        ("customer", 404),
        ("other", 404),
        ("seller", 200),
        ("admin", 200),
    ]:
        r = await client.get(f"/products/{shop.product}", headers=as_(shop, who))
        assert r.status_code == status, who
        r = await client.get(f"/products/by-slug/{product.slug}", headers=as_(shop, who))
        assert r.status_code == status, who
    r = await client.patch(
        f"/products/{shop.product}", json={"is_active": True}, headers=as_(shop, "seller")
    )
    assert r.json()["is_active"] is True
    assert (await client.get(f"/products/{shop.product}")).status_code == 200
    assert (
        await client.delete(f"/products/{shop.product}", headers=as_(shop, "seller"))
    ).status_code == 204
    for who in (None, "seller", "admin"):
        assert (
            await client.get(f"/products/{shop.product}", headers=as_(shop, who))
        ).status_code == 404
    assert (await client.get("/products/by-slug/no-such-thing")).status_code == 404
    assert (await client.get("/products/99999999999")).status_code == 422


async def test_product_validation_is_the_seller_dialogs(client, session, shop):
    seller = as_(shop, "seller")
    good = {
        "category_id": shop.category,
        "name": "  Oolong   tea ",
        "price": "1 299,50",
        "stock": "1 000",
    }
    r = await client.post("/products", json=good, headers=seller)
    assert r.status_code == 201
    assert r.json()["name"] == "Oolong tea" and r.json()["price"] == "1299.50"
    assert r.json()["stock"] == 1000 and r.json()["slug"] == "oolong-tea"
    refusals = [
        ({"price": "abc"}, "price", "as a number"),
        ({"price": "0"}, "price", "greater than zero"),
        ({"price": "20000000"}, "price", "can't be more"),
        ({"price": "1.999"}, "price", "two digits"),
        ({"price": True}, "price", "not true or false"),
        ({"stock": False}, "stock", "not true or false"),
        ({"stock": -1}, "stock", "negative"),
        ({"stock": "many"}, "stock", "whole number"),
        ({"name": "x" * (NAME_MAX + 1)}, "name", "too long"),
        ({"name": "   "}, "name", "empty"),
        ({"description": "d" * 1001}, "description", "too long"),
    ]
    for change, field, words in refusals:
        r = await client.post("/products", json={**good, **change}, headers=seller)
        assert r.status_code == 422, change
        assert r.json()["detail"][0]["field"] == field and words in r.text, r.text
    r = await client.post(
        "/products", json={**good, "category_id": shop.hidden_category}, headers=seller
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "category_id"
    assert "category is no longer available" in r.text
    r = await client.patch(
        f"/products/{shop.product}", json={"stock": "abc", "name": "New"}, headers=seller
    )
    assert r.status_code == 422
    session.expire_all()
    assert (await session.get(Product, shop.product)).name == "Green tea"  # all or nothing
    assert len(list(await session.scalars(select(Product)))) == 3


async def test_a_price_follows_the_shops_currency(pool, api_config, session, shop):
    """In JPY a price has no cents: a clear 422 on the price, as in the bot's dialog."""
    app = create_app(pool, replace(api_config, currency="JPY"))
    transport = httpx.ASGITransport(app=app)
    seller = as_(shop, "seller")
    body = {"category_id": shop.category, "name": "Matcha", "price": "999.50", "stock": 1}
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        r = await client.post("/products", json=body, headers=seller)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "price" and "whole numbers" in r.text
        r = await client.patch(f"/products/{shop.product}", json={"price": 10.5}, headers=seller)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "price"
        r = await client.post("/products", json={**body, "price": "1 000"}, headers=seller)
        assert r.status_code == 201 and Decimal(r.json()["price"]) == 1000
    session.expire_all()
    assert (await session.get(Product, shop.product)).price != Decimal("10.5")


async def test_a_price_follows_the_shops_max_price(pool, api_config, session, shop):
    """MAX_PRICE above the default lets the API take what the bot takes."""
    app = create_app(pool, replace(api_config, max_price=Decimal("50000000")))
    transport = httpx.ASGITransport(app=app)
    seller = as_(shop, "seller")
    body = {"category_id": shop.category, "name": "Car", "price": "20000000", "stock": 1}
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        r = await client.post("/products", json=body, headers=seller)
        assert r.status_code == 201 and Decimal(r.json()["price"]) == 20_000_000
        r = await client.patch(
            f"/products/{shop.product}", json={"price": "30000000"}, headers=seller
        )
        assert r.status_code == 200 and Decimal(r.json()["price"]) == 30_000_000
        r = await client.post("/products", json={**body, "price": "60000000"}, headers=seller)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "price"


async def test_admin_edit_of_a_sellers_product_is_audited(client, session, shop):
    r = await client.patch(
        f"/products/{shop.product}", json={"price": "99.9"}, headers=as_(shop, "admin")
    )
    assert r.json()["price"] == "99.90"
    entry = await session.scalar(select(AuditEntry))
    assert entry.action == "product.update" and entry.after == {"price": "99.90"}


# -- reviews ------------------------------------------------------------------------------


async def test_reviews_one_per_user_and_rating_in_step(client, session, shop):
    url = f"/products/{shop.product}/reviews"
    r = await client.post(
        url, json={"grade": 5, "comment": "Lovely"}, headers=as_(shop, "customer")
    )
    assert r.status_code == 201 and r.json()["author"] == "Ann"
    review_id = r.json()["id"]
    r = await client.post(url, json={"grade": 1}, headers=as_(shop, "customer"))
    assert r.status_code == 409
    await client.post(url, json={"grade": 3}, headers=as_(shop, "admin"))
    assert (await client.get(f"/products/{shop.product}")).json()["rating"] == 4.0
    r = await client.patch(
        f"/reviews/{review_id}", json={"grade": 1}, headers=as_(shop, "customer")
    )
    assert r.json()["grade"] == 1 and r.json()["comment"] == "Lovely"
    assert (await client.get(f"/products/{shop.product}")).json()["rating"] == 2.0
    await client.patch(
        f"/reviews/{review_id}", json={"is_visible": False}, headers=as_(shop, "admin")
    )
    product = (await client.get(f"/products/{shop.product}")).json()
    assert (product["rating"], product["rating_count"]) == (3.0, 1)
    page = (await client.get(url)).json()
    assert page["total"] == 1 and [i["grade"] for i in page["items"]] == [3]
    assert (
        await client.delete(f"/reviews/{review_id}", headers=as_(shop, "admin"))
    ).status_code == 204
    assert (await client.get(f"/products/{shop.product}")).json()["rating_count"] == 1
    for bad in ({"grade": 6}, {"grade": 0}, {"grade": "five"}, {"grade": 3, "comment": "x" * 1001}):
        r = await client.post(url, json=bad, headers=as_(shop, "other"))
        assert r.status_code == 422 and r.json()["detail"][0]["field"] in ("grade", "comment")
    r = await client.post(url, json={"grade": 4}, headers=as_(shop, "seller"))
    assert r.status_code == 403 and "own product" in r.json()["detail"]
    assert (
        await client.patch("/reviews/424242", json={"grade": 2}, headers=as_(shop, "customer"))
    ).status_code == 404


# -- permission ---------------------------------------------------------------------------


async def test_permission_by_id_login_telegram_id_and_username(client, session, shop):
    admin = as_(shop, "admin")
    await make_user(session, 55, username="Zed")
    session.add(User(login="webby", is_active=False))
    await session.commit()
    for who, role in [
        ({"user_id": shop.ids["customer"]}, "seller"),
        ({"login": "WEBBY"}, "seller"),
        ({"telegram_id": 55}, "admin"),
        ({"username": "@zed"}, "customer"),
    ]:
        r = await client.patch("/permission", json={**who, "role": role}, headers=admin)
        assert r.status_code == 200 and r.json()["role"] == role, (who, r.text)
    entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.after["role"]) for e in entries] == [
        ("user.role", "seller"),
        ("user.role", "seller"),
        ("user.role", "admin"),
        ("user.role", "customer"),
    ]
    assert all(e.actor_id == shop.ids["admin"] for e in entries)
    for field, value in [("login", "nobody"), ("user_id", 99999), ("username", "@nobody")]:
        r = await client.patch("/permission", json={field: value, "role": "admin"}, headers=admin)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == field, r.text
    r = await client.patch(
        "/permission", json={"user_id": 1, "login": "x", "role": "admin"}, headers=admin
    )
    assert r.status_code == 422
    r = await client.patch("/permission", json={"user_id": 1, "role": "king"}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "role"


async def test_demoting_a_seller_takes_their_products_off_sale(client, session, shop):
    r = await client.patch(
        "/permission",
        json={"user_id": shop.ids["seller"], "role": "customer"},
        headers=as_(shop, "admin"),
    )
    assert r.status_code == 200
    assert (await client.get(f"/products/{shop.product}")).status_code == 404


async def test_the_last_admin_stays(client, shop):
    r = await client.patch(
        "/permission",
        json={"user_id": shop.ids["admin"], "role": "customer"},
        headers=as_(shop, "admin"),
    )
    assert r.status_code == 422 and "last admin" in r.text


# -- orders -------------------------------------------------------------------------------


async def test_orders_each_sees_their_part(client, session, shop):
    r = await client.get("/orders/me", headers=as_(shop, "customer"))
    assert [o["id"] for o in r.json()["items"]] == [shop.order]
    assert r.json()["items"][0]["total"] == "300.00"
    assert (await client.get("/orders/me", headers=as_(shop, "seller"))).json()["items"] == []
    # Past the end: an empty page, so a client paging until one stops (not the last again).
    r = await client.get("/orders/me?page=5", headers=as_(shop, "customer"))
    assert r.json() == {"items": [], "page": 5, "has_next": False}
    lines = {
        who: [
            i["name"]
            for i in (await client.get(f"/orders/{shop.order}", headers=as_(shop, who))).json()[
                "items"
            ]
        ]
        for who in ("customer", "seller", "admin")
    }
    assert lines == {
        "customer": ["Green tea", "Shop mug"],
        "seller": ["Green tea"],
        "admin": ["Green tea", "Shop mug"],
    }
    assert (await client.get("/orders/777", headers=as_(shop, "admin"))).status_code == 404


async def test_a_seller_made_in_the_api_can_sell(client, session, shop):
    await client.patch(
        "/permission",
        json={"user_id": shop.ids["customer"], "role": "seller"},
        headers=as_(shop, "admin"),
    )
    r = await client.post(
        "/products",
        json={"category_id": shop.category, "name": "Mate", "price": 10, "stock": 1},
        headers=as_(shop, "customer"),
    )
    assert r.status_code == 201 and Decimal(r.json()["price"]) == Decimal("10.00")
    user = await session.get(User, shop.ids["customer"])
    assert user.role is Role.seller


async def test_an_empty_change_shows_nobody_a_hidden_review(client, session, shop):
    r = await client.patch(
        f"/reviews/{shop.review}", json={"is_visible": False}, headers=as_(shop, "admin")
    )
    assert r.status_code == 200 and r.json()["is_visible"] is False
    r = await client.patch(f"/reviews/{shop.review}", json={}, headers=as_(shop, "seller"))
    assert r.status_code == 403 and "Good" not in r.text


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(client, session, shop):
    import asyncio

    from tests.api_helpers import bearer

    for round_ in range(5):
        other = await make_user(session, 9100 + round_, Role.admin, first_name="Bea")
        await session.commit()
        first, second = shop.ids["admin"], other.id
        answers = await asyncio.gather(
            client.patch(
                "/permission", json={"user_id": second, "role": "customer"}, headers=bearer(first)
            ),
            client.patch(
                "/permission", json={"user_id": first, "role": "customer"}, headers=bearer(second)
            ),
        )
        assert sorted(r.status_code for r in answers)[0] == 200, [r.text for r in answers]
        session.expire_all()
        admins = list(await session.scalars(select(User.id).where(User.role == Role.admin)))
        assert len(admins) == 1, round_
        if admins != [first]:  # the next round starts from the shop's admin again
            await session.execute(update(User).where(User.id == first).values(role=Role.admin))
            await session.execute(update(User).where(User.id == second).values(role=Role.customer))
            await session.commit()


async def test_a_seller_lists_their_own_products_hidden_ones_included(client, session, shop):
    """The bot's My products for a Mini App: a customer's listing leaves hidden products
    out, so a seller had no way to find theirs."""
    seller = as_(shop, "seller")
    category = await session.get(Category, shop.category)
    owner = (await session.get(Product, shop.product)).seller_id
    hidden = await make_product(session, category, "Draft tea", is_active=False)
    hidden.seller_id = owner
    secret = await session.get(Category, shop.hidden_category)
    under = await make_product(session, secret, "Secret tea")
    under.seller_id = owner
    gone = await make_product(session, category, "Gone tea", is_deleted=True)
    gone.seller_id = owner
    await session.commit()
    r = await client.get("/products/mine", headers=seller)
    assert r.status_code == 200
    items = {i["name"]: i["customers_see"] for i in r.json()["items"]}
    assert items == {"Secret tea": False, "Draft tea": False, "Green tea": True}
    assert list(items) == ["Secret tea", "Draft tea", "Green tea"]  # newest first
    assert (r.json()["page"], r.json()["pages"]) == (1, 1)
    r = await client.get("/products/mine", params={"page": 2}, headers=seller)
    assert r.json()["items"] == [] and r.json()["pages"] == 1
    r = await client.get("/products/mine", headers=as_(shop, "customer"))
    assert r.status_code == 403
    assert (await client.get("/products/mine")).status_code == 401
