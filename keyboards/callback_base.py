"""What every CallbackData class of the bot is built on: the id type, and `Grows`."""

from typing import Annotated, Any, Self

from aiogram.filters.callback_data import CallbackData
from pydantic import BeforeValidator, Field

# Ids are INTEGER columns: a forged number beyond them fails to unpack, so the press
# goes to the fallback ("out of date") instead of overflowing a query.
Int = Annotated[int, Field(ge=-(2**31) + 1, le=2**31 - 1)]

PAGE_MAX = 999_999


def _a_page(value: object) -> object:
    """A page number from 1 to PAGE_MAX. A page past PAGE_MAX, a million presses of ▶
    away, is carried as PAGE_MAX: the keyset cursor beside it still finds its items, only
    its number shows lower. A forged 0 or -5 is page 1, as a forged page past the end is
    the last one (a number that isn't one still fails to unpack)."""
    if isinstance(value, str) and value.lstrip("-").isdigit() and len(value) <= 20:
        value = int(value)
    return min(max(value, 1), PAGE_MAX) if isinstance(value, int) else value


# A page number, in six digits: a card's buttons carry several beside ids and a cursor.
PageNo = Annotated[int, BeforeValidator(_a_page), Field(ge=1, le=PAGE_MAX)]


class Grows:
    """Every class below may gain fields at its end, with defaults: a button packed
    before (in a message an older version of the bot sent) still unpacks, its missing
    fields taking their defaults, rather than falling to "out of date"."""

    @classmethod
    def unpack(cls: Any, value: str) -> Self:
        parts = value.count(cls.__separator__)
        missing = list(cls.model_fields.items())[parts:]
        if missing and all(not field.is_required() for _name, field in missing):
            value += "".join(
                cls.__separator__ + CallbackData._encode_value(cls, name, field.default)
                for name, field in missing
            )
        return super().unpack(value)  # type: ignore[misc]
