"""GET /orders/{id}: what each reader learns of an order's money. The customer and admins
see the whole order (its total after the promo discount); a seller of some of its lines
sees what those lines come to, never the other lines' amounts or the order's discount."""

from decimal import Decimal

from models import Order, OrderItem, PaymentMethod
from tests.api_helpers import as_

pytest_plugins = ["tests.api_fixtures"]


def _order(shop, total: str, discount: str = "0", code: str | None = None) -> Order:
    return Order(
        user_id=shop.ids["customer"],
        total=Decimal(total),
        discount=Decimal(discount),
        promo_code=code,
        currency="RUB",
        payment_method=PaymentMethod.cod,
        contact_name="Ann",
        phone="+10000000000",
    )


async def _money(client, shop, who: str, order_id: int) -> tuple[str, str, list[str]]:
    r = await client.get(f"/orders/{order_id}", headers=as_(shop, who))
    assert r.status_code == 200, r.text
    body = r.json()
    return body["total"], body["discount"], [i["name"] for i in body["items"]]


async def test_a_seller_sees_the_total_of_their_own_lines_only(client, session, shop):
    # The shop's order: the seller's 2 × 100.00 and the shop's own mug at 100.00, and a
    # promo code took 30.00 off the whole order.
    order = await session.get(Order, shop.order)
    order.total, order.discount, order.promo_code = Decimal("270.00"), Decimal("30.00"), "TEN"
    await session.commit()
    assert await _money(client, shop, "seller", shop.order) == ("200.00", "0.00", ["Green tea"])
    whole = ("270.00", "30.00", ["Green tea", "Shop mug"])
    assert await _money(client, shop, "customer", shop.order) == whole
    assert await _money(client, shop, "admin", shop.order) == whole
    r = await client.get(f"/orders/{shop.order}", headers=as_(shop, "other"))
    assert r.status_code == 404


async def test_a_seller_of_every_line_sees_the_whole_order(client, session, shop):
    """Then the discount is all theirs: the total is what the customer pays."""
    order = _order(shop, "45.00", "5.00", "FIVE")
    session.add(order)
    await session.flush()
    session.add(
        OrderItem(
            order_id=order.id,
            product_id=shop.product,
            seller_id=shop.ids["seller"],
            name="Green tea",
            unit_price=Decimal("50.00"),
            quantity=1,
        )
    )
    await session.commit()
    assert await _money(client, shop, "seller", order.id) == ("45.00", "5.00", ["Green tea"])


async def test_two_sellers_each_see_their_own_share(client, session, shop):
    order = _order(shop, "70.00")
    session.add(order)
    await session.flush()
    session.add_all(
        [
            OrderItem(
                order_id=order.id,
                product_id=shop.product,
                seller_id=shop.ids["seller"],
                name="Green tea",
                unit_price=Decimal("10.00"),
                quantity=4,
            ),
            OrderItem(
                order_id=order.id,
                product_id=shop.other_product,
                seller_id=shop.ids["other"],
                name="Black tea",
                unit_price=Decimal("30.00"),
                quantity=1,
            ),
        ]
    )
    await session.commit()
    assert await _money(client, shop, "seller", order.id) == ("40.00", "0.00", ["Green tea"])
    assert await _money(client, shop, "other", order.id) == ("30.00", "0.00", ["Black tea"])
