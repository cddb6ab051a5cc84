"""The people of the playground: one private chat each, switched in the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Persona:
    key: str
    label: str
    user_id: int
    first_name: str
    username: str
    language_code: str
    phone: str

    def user(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "username": self.username,
            "language_code": self.language_code,
        }


# The seller takes over the demo shop's first seller (and its products); the admin is an
# admin for the playground's run (ADMIN_IDS).
PERSONAS = (
    Persona("customer", "Customer (en)", 700001, "Ann", "ann_playground", "en", "+15550000001"),
    Persona(
        "customer_ru", "Покупатель (ru)", 700002, "Борис", "boris_playground", "ru", "+79990000002"
    ),
    # Named as the demo seller whose products it takes over: /start keeps that name.
    Persona(
        "seller", "Seller", 700003, "Tech Corner", "tech_corner_playground", "en", "+15550000003"
    ),
    Persona("admin", "Admin", 700004, "Alex", "alex_playground", "en", "+15550000004"),
)
SELLER = PERSONAS[2]
ADMIN = PERSONAS[3]


def by_key(key: str) -> Persona | None:
    return next((p for p in PERSONAS if p.key == key), None)
