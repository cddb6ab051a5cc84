"""The Bot API's wire format: form fields in, stored messages out."""

from __future__ import annotations

import json
from typing import Any

from playground.rules import BadRequest

# Plain values the bot may send as form fields that are really JSON.
JSON_FIELDS = {
    "reply_markup",
    "media",
    "prices",
    "commands",
    "scope",
    "results",
    "entities",
    "caption_entities",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
}


def public_message(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as the Bot API returns it (without what only the server keeps)."""
    return {k: v for k, v in message.items() if not k.startswith("_")}


def decode(params: dict[str, Any]) -> dict[str, Any]:
    """The call's parameters with the JSON-valued fields parsed."""
    out = {}
    for key, value in params.items():
        if key in JSON_FIELDS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise BadRequest(f"can't parse {key} JSON object") from None
        out[key] = value
    return out
