"""The web API in-process for tests: httpx over ASGITransport on the test database, and
a shop with a customer, two sellers and an admin, each with a token."""

from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest

from api import ApiConfig, create_app
from models import Order, OrderItem, PaymentMethod, Review, Role
from tests.api_helpers import ADMIN, CUSTOMER, OTHER_SELLER, SECRET, SELLER
from tests.factories import make_category, make_product, make_user
from tests.tg import TOKEN


@pytest.fixture
def api_config() -> ApiConfig:
    return ApiConfig(
        jwt_secret=SECRET, bcrypt_rounds=4, bot_token=TOKEN, admin_ids=frozenset({ADMIN})
    )


@pytest.fixture
async def client(pool, api_config):
    app = create_app(pool, api_config)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        yield c


@dataclass
class Shop:
    ids: dict[str, int]  # who -> users.id (None for anonymous)
    category: int
    product: int  # the seller's
    other_product: int  # the other seller's
    hidden_category: int
    review: int  # the customer's review of the other seller's product
    order: int  # the customer's order: a line of the seller's, a line of the shop's own


@pytest.fixture
async def shop(session) -> Shop:
    customer = await make_user(session, CUSTOMER, Role.customer, first_name="Ann")
    seller = await make_user(session, SELLER, Role.seller, first_name="Sam")
    other = await make_user(session, OTHER_SELLER, Role.seller, first_name="Olga")
    admin = await make_user(session, ADMIN, Role.admin, first_name="Boss")
    category = await make_category(session, "Tea")
    hidden = await make_category(session, "Secret", is_active=False)
    product = await make_product(session, category, "Green tea", seller=seller)
    other_product = await make_product(session, category, "Black tea", seller=other)
    review = Review(user_id=customer.id, product_id=other_product.id, grade=4, comment="Good")
    session.add(review)
    other_product.rating_sum, other_product.rating_count = 4, 1
    order = Order(
        user_id=customer.id,
        total=Decimal("300.00"),
        currency="RUB",
        payment_method=PaymentMethod.cod,
        contact_name="Ann",
        phone="+10000000000",
        address="Main st 1",
    )
    session.add(order)
    await session.flush()
    session.add_all(
        [
            OrderItem(
                order_id=order.id,
                product_id=product.id,
                seller_id=seller.id,
                name="Green tea",
                unit_price=Decimal("100.00"),
                quantity=2,
            ),
            OrderItem(order_id=order.id, name="Shop mug", unit_price=Decimal("100.00"), quantity=1),
        ]
    )
    await session.commit()
    ids = {
        "customer": customer.id,
        "seller": seller.id,
        "other": other.id,
        "admin": admin.id,
    }
    return Shop(ids, category.id, product.id, other_product.id, hidden.id, review.id, order.id)
