"""Pydantic's refusals of a request's shape, in the caller's language.

Pydantic words its errors in English only. These are its own templates for the kinds a
request to this API can meet (its `type`, with the same `{placeholders}` filled from the
error's `ctx`), marked for the catalogs: an English caller reads exactly pydantic's
text, another reads its translation. A kind not listed keeps pydantic's English.
"""

from collections.abc import Callable, Mapping
from typing import Any

from services.texts import N_, Nn_

Text = str | tuple[str, str]

# type -> its template, or a plural pair chosen by the ctx number named in COUNTED.
TEXTS: dict[str, Text] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "json_invalid": N_("Invalid JSON: {error}"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_(
        "Input should be a valid dictionary or object to extract fields from"
    ),
    "dict_type": N_("Input should be a valid dictionary"),
    "string_type": N_("Input should be a valid string"),
    "string_too_short": Nn_(
        "String should have at least {min_length} character",
        "String should have at least {min_length} characters",
    ),
    "string_too_long": Nn_(
        "String should have at most {max_length} character",
        "String should have at most {max_length} characters",
    ),
    "too_short": Nn_(
        "{field_type} should have at least {min_length} item after validation, not {actual_length}",
        "{field_type} should have at least {min_length} items after validation, not {actual_length}",  # noqa: E501
    ),
    "too_long": Nn_(
        "{field_type} should have at most {max_length} item after validation, not {actual_length}",
        "{field_type} should have at most {max_length} items after validation, not {actual_length}",
    ),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "int_parsing_size": N_("Unable to parse input string as an integer, exceeded maximum size"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "finite_number": N_("Input should be a finite number"),
    "decimal_type": N_("Decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime, {error}"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date, {error}"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
}
COUNTED = {
    "string_too_short": "min_length",
    "string_too_long": "max_length",
    "too_short": "min_length",
    "too_long": "max_length",
}


def explain(
    error: Mapping[str, Any],
    gettext: Callable[[str], str],
    ngettext: Callable[[str, str, int], str],
) -> str | None:
    """The error's message in the catalog's language; None: a kind not listed."""
    kind = str(error.get("type"))
    text = TEXTS.get(kind)
    if text is None:
        return None
    ctx = error.get("ctx") or {}
    if isinstance(text, tuple):
        count = ctx.get(COUNTED[kind])
        text = ngettext(*text, count if isinstance(count, int) else 2)
    else:
        text = gettext(text)
    try:
        return text.format(**ctx)
    except (KeyError, IndexError, ValueError):  # a ctx of another pydantic version
        return None
