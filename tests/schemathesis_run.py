"""Fuzz the web API from its own /openapi.json with schemathesis, in-process (ASGI).

    python -m tests.schemathesis_run [--examples N]

Every operation, authenticated as an admin and as a customer, on a fresh SQLite shop with
a category, products, a review and an order: no response may be a 500, and every
response must match what the schema documents (status, content type, body). Prints a
summary and exits 1 on any failure. Bounded by --examples per operation and role (CI: the
default, well under a minute on the shared machine).
"""

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.pool import NullPool

from api import ApiConfig, create_app
from api.security import issue
from db.engine import create_engine, create_session_pool
from models import Base, Category, Order, OrderItem, PaymentMethod, Product, Review, Role, User

SECRET = "schemathesis-" + "s" * 60
BOT_TOKEN = "123456789:AAE-fuzzing-token-not-a-real-one-xxxxx"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


async def _seed(url: str) -> dict[str, int]:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    async with create_session_pool(engine)() as s, s.begin():
        admin = User(telegram_id=1000, first_name="Boss", role=Role.admin, username="boss")
        customer = User(telegram_id=1, first_name="Ann", username="ann", login="ann")
        seller = User(telegram_id=2, first_name="Sam", role=Role.seller)
        s.add_all([admin, customer, seller])
        await s.flush()
        tea = Category(name="Tea", slug="tea")
        s.add(tea)
        await s.flush()
        s.add(Category(name="Green", slug="green", parent_id=tea.id))
        products = [
            Product(
                name=f"Tea {i}",
                slug=f"tea-{i}",
                price=Decimal("10.00") + i,
                stock=5,
                category_id=tea.id,
                seller_id=seller.id,
            )
            for i in range(1, 6)
        ]
        s.add_all(products)
        await s.flush()
        s.add(Review(user_id=customer.id, product_id=products[0].id, grade=4, comment="Nice"))
        order = Order(
            user_id=customer.id,
            total=Decimal("11.00"),
            currency="RUB",
            payment_method=PaymentMethod.cod,
            contact_name="Ann",
            phone="+10000000000",
        )
        s.add(order)
        await s.flush()
        s.add(
            OrderItem(
                order_id=order.id,
                product_id=products[0].id,
                seller_id=seller.id,
                name="Tea 1",
                unit_price=Decimal("11.00"),
                quantity=1,
            )
        )
        ids = {"admin": admin.id, "customer": customer.id}
    await engine.dispose()
    return ids


def _fuzzer(operation, headers: dict[str, str], examples: int, calls: Counter[str]):
    @hypothesis.given(case=operation.as_strategy())
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case) -> None:
        response = case.call(headers=headers)
        calls[str(response.status_code)] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    return fuzz


def run(examples: int, database_url: str | None = None) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'fuzz.db'}"
        ids = asyncio.run(_seed(url))
        # NullPool: schemathesis drives the app from its own event loops.
        pool = create_session_pool(create_engine(url, poolclass=NullPool))
        app = create_app(pool, ApiConfig(jwt_secret=SECRET, bcrypt_rounds=4, bot_token=BOT_TOKEN))
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        calls: Counter[str] = Counter()
        failures: list[str] = []
        for role, user_id in ids.items():
            headers = {"Authorization": f"Bearer {issue(SECRET, user_id, role, 60)}"}
            for result in schema.get_all_operations():
                operation = result.ok()
                label = f"{operation.method.upper()} {operation.path} as {role}"

                fuzz = _fuzzer(operation, headers, examples, calls)
                try:
                    fuzz()
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # a check failed: keep going, report them all
                    first = str(exc).strip().splitlines()[:12]
                    failures.append(label + "\n    " + "\n    ".join(first))
        seconds = time.monotonic() - started
    total = sum(calls.values())
    operations = len(list(schema.get_all_operations()))
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(calls.items()))
    print(
        f"schemathesis: {operations} operations x {len(ids)} roles, {total} requests "
        f"in {seconds:.1f} s ({statuses}); {len(failures)} failing"
    )
    for failure in failures:
        print("FAILED " + failure)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.schemathesis_run")
    parser.add_argument("--examples", type=int, default=15, help="per operation and role")
    parser.add_argument(
        "--db", help="a database URL to use (emptied!); default: a temporary SQLite"
    )
    args = parser.parse_args()
    return run(args.examples, args.db)


if __name__ == "__main__":
    sys.exit(main())
