"""GET /orders/{id}: what each reader learns of an order's money. The customer and admins
see the whole order (its total after the promo discount); a seller of some of its lines
sees what those lines come to, never the other lines' amounts or the order's discount."""

from decimal import Decimal

from models import Order, OrderItem, OrderStatus, PaymentMethod
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


# -- GET /orders/{id}/payment: what paying it charges, by the bot's invoice rules ----------


async def _unpaid(session, shop, total: str, method: PaymentMethod, **fields) -> int:
    order = _order(shop, total, **fields)
    order.payment_method = method
    session.add(order)
    await session.flush()
    session.add(
        OrderItem(
            order_id=order.id,
            product_id=shop.product,
            name="Green tea",
            unit_price=Decimal("150.00"),
            quantity=1,
        )
    )
    await session.commit()
    return order.id


async def test_the_payment_of_an_order_is_what_its_invoice_charges(client, session, shop):
    card = await _unpaid(session, shop, "135.00", PaymentMethod.provider, discount="15.00")
    r = await client.get(f"/orders/{card}/payment", headers=as_(shop, "customer"))
    assert r.status_code == 200, r.text
    assert r.json() == {"order_id": card, "total": "135.00", "currency": "RUB", "amount": 13500}
    stars = await _unpaid(session, shop, "12.30", PaymentMethod.stars)
    r = await client.get(f"/orders/{stars}/payment", headers=as_(shop, "customer"))
    assert (r.json()["currency"], r.json()["amount"]) == ("XTR", 13)
    # Only its customer pays it; others learn nothing of it.
    r = await client.get(f"/orders/{card}/payment", headers=as_(shop, "admin"))
    assert r.status_code == 404


async def test_too_little_for_a_card_payment_is_a_409_saying_the_minimum(client, session, shop):
    """A promo code left RUB 5.00: Telegram would refuse the invoice, so no payment is
    offered, and the answer says why (the bot's rule, services.payments)."""
    order_id = await _unpaid(
        session, shop, "5.00", PaymentMethod.provider, discount="145.00", code="SAVE145"
    )
    r = await client.get(f"/orders/{order_id}/payment", headers=as_(shop, "customer"))
    assert r.status_code == 409
    assert r.json() == {
        "detail": "The smallest card payment is RUB 100.00, and this order comes to RUB 5.00."
    }


async def test_too_much_for_a_card_payment_is_a_409_saying_the_maximum(client, session, shop):
    """Over Telegram's largest card payment (about US$10,000: RUB 700,000 here)."""
    order_id = await _unpaid(session, shop, "700000.01", PaymentMethod.provider)
    r = await client.get(f"/orders/{order_id}/payment", headers=as_(shop, "customer"))
    assert (r.status_code, r.json()) == (
        409,
        {
            "detail": "The largest card payment is RUB 700000.00, and this order comes to "
            "RUB 700000.01."
        },
    )


async def test_orders_not_awaiting_a_payment_are_a_409(client, session, shop):
    r = await client.get(f"/orders/{shop.order}/payment", headers=as_(shop, "customer"))
    assert (r.status_code, r.json()) == (409, {"detail": "This order is paid on delivery."})
    free = await _unpaid(session, shop, "0.00", PaymentMethod.provider, discount="150.00")
    order = await session.get(Order, free)
    order.status = OrderStatus.paid  # a code covered it all: paid when placed
    await session.commit()
    r = await client.get(f"/orders/{free}/payment", headers=as_(shop, "customer"))
    assert (r.status_code, r.json()) == (
        409,
        {"detail": "This order is no longer awaiting payment."},
    )
