"""Every endpoint as each kind of caller: anonymous, a customer, the product's seller,
another seller, an admin. Allowed calls do their work; refused ones change nothing."""

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Category, Product, Review, User
from tests.api_helpers import as_

pytest_plugins = ["tests.api_fixtures"]

WHO = [None, "customer", "seller", "other", "admin"]


def _cases():
    """(name, method, path, body, statuses for WHO in order)."""
    return [
        ("me", "GET", "/auth/me", None, [401, 200, 200, 200, 200]),
        ("tree", "GET", "/categories", None, [200] * 5),
        ("cat-create", "POST", "/categories", {"name": "New"}, [401, 403, 403, 403, 201]),
        (
            "cat-rename",
            "PATCH",
            "/categories/{category}",
            {"name": "Herbal"},
            [401, 403, 403, 403, 200],
        ),
        ("cat-delete", "DELETE", "/categories/{hidden_category}", None, [401, 403, 403, 403, 204]),
        ("list", "GET", "/products?category={category}", None, [200] * 5),
        ("product", "GET", "/products/{product}", None, [200] * 5),
        ("slug", "GET", "/products/by-slug/{slug}", None, [200] * 5),
        (
            "prod-create",
            "POST",
            "/products",
            {"category_id": "{category}", "name": "Oolong", "price": "1 299,50", "stock": 3},
            [401, 403, 201, 201, 201],
        ),
        ("prod-patch", "PATCH", "/products/{product}", {"price": "150"}, [401, 403, 200, 403, 200]),
        ("prod-delete", "DELETE", "/products/{product}", None, [401, 403, 204, 403, 204]),
        ("reviews", "GET", "/products/{product}/reviews", None, [200] * 5),
        (
            "review-create",
            "POST",
            "/products/{product}/reviews",
            {"grade": 5},
            [401, 201, 403, 201, 201],
        ),
        ("review-edit", "PATCH", "/reviews/{review}", {"grade": 2}, [401, 200, 403, 403, 403]),
        (
            "review-hide",
            "PATCH",
            "/reviews/{review}",
            {"is_visible": False},
            [401, 403, 403, 403, 200],
        ),
        ("review-delete", "DELETE", "/reviews/{review}", None, [401, 403, 403, 403, 204]),
        (
            "permission",
            "PATCH",
            "/permission",
            {"user_id": "{customer}", "role": "seller"},
            [401, 403, 403, 403, 200],
        ),
        ("orders-me", "GET", "/orders/me", None, [401, 200, 200, 200, 200]),
        ("order", "GET", "/orders/{order}", None, [401, 200, 200, 404, 200]),
    ]


CASES = [
    pytest.param(method, path, body, who, status, id=f"{name}-{who or 'anonymous'}")
    for name, method, path, body, statuses in _cases()
    for who, status in zip(WHO, statuses, strict=True)
]


async def _state(session) -> tuple:
    """What a refused call must leave as it was."""
    session.expire_all()
    return (
        [
            (c.id, c.name, c.is_active)
            for c in await session.scalars(select(Category).order_by(Category.id))
        ],
        [
            (p.id, p.price, p.is_active, p.is_deleted, p.rating_sum, p.rating_count)
            for p in await session.scalars(select(Product).order_by(Product.id))
        ],
        [
            (r.id, r.grade, r.is_visible)
            for r in await session.scalars(select(Review).order_by(Review.id))
        ],
        [(u.id, u.role) for u in await session.scalars(select(User).order_by(User.id))],
        await session.scalar(select(func.count()).select_from(AuditEntry)),
    )


@pytest.mark.parametrize(("method", "path", "body", "who", "status"), CASES)
async def test_role_matrix(client, session, shop, method, path, body, who, status):
    slug = await session.scalar(select(Product.slug).where(Product.id == shop.product))
    values = {
        "category": shop.category,
        "hidden_category": shop.hidden_category,
        "product": shop.product,
        "slug": slug,
        "review": shop.review,
        "order": shop.order,
        "customer": shop.ids["customer"],
    }
    url = path.format(**values)
    if body is not None:
        body = {
            k: (int(v.format(**values)) if isinstance(v, str) and v.startswith("{") else v)
            for k, v in body.items()
        }
    before = await _state(session)
    r = await client.request(method, url, json=body, headers=as_(shop, who))
    assert r.status_code == status, r.text
    if r.status_code != 204:
        assert r.headers["content-type"] == "application/json"
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"
    if status >= 400 or method == "GET":
        assert await _state(session) == before
    else:
        assert await _state(session) != before
