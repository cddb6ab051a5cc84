"""Helpers for the web API's tests (fixtures are in tests/api_fixtures.py)."""

from api.security import issue
from tests.conftest import ADMIN_ID

SECRET = "test-secret-" + "x" * 60
CUSTOMER, SELLER, OTHER_SELLER, ADMIN = 1, 2, 3, ADMIN_ID


def token(user_id: int, role: str = "customer", minutes: int = 30, secret: str = SECRET) -> str:
    return issue(secret, user_id, role, minutes)


def bearer(user_id: int | None) -> dict[str, str]:
    return {} if user_id is None else {"Authorization": f"Bearer {token(user_id)}"}


def as_(shop, who: str | None) -> dict[str, str]:
    return bearer(None if who is None else shop.ids[who])
