"""Telegram's rules for what a bot sends, as one pure model (no aiohttp, no aiogram).

The playground's Bot API server answers with these rules, and the tests' fake session
(`tests/tg.py`, on `playground.session`) uses the same ones: limits, the HTML subset of
`parse_mode=HTML` turned into text plus entities (as Telegram's own parser, tdlib's
`parse_html`, does), keyboard and invoice checks. A broken rule raises `BadRequest` with the
description Telegram gives ("Bad Request: ..." is added by whoever reports it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
CALLBACK_ANSWER_LIMIT = 200
INVOICE_TITLE_LIMIT = 32
INVOICE_DESCRIPTION_LIMIT = 255
INVOICE_PAYLOAD_LIMIT = 128  # bytes

QUERY_EXPIRED = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class BadRequest(Exception):
    """What Telegram answers with `400 Bad Request: <description>`."""

    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.code = code


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# -- parse_mode=HTML --------------------------------------------------------------------

# tag -> entity type; `span` and `a`, `code`, `pre` are decided by their attributes.
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
SUPPORTED_TAGS = frozenset({*_SIMPLE_TAGS, "span", "a", "code", "pre", "blockquote", "tg-emoji"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_TAG_NAME = re.compile(r"[A-Za-z0-9-]*")
_ATTRIBUTE = re.compile(r"\s*([A-Za-z0-9-]+)\s*(?:=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']*))?")


@dataclass
class _Open:
    tag: str
    start: int  # UTF-16 offset in the visible text
    attrs: dict[str, str] = field(default_factory=dict)


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """The character `&...;` at `i` stands for and the index after it, if it is one."""
    match = _ENTITY.match(text, i)
    if not match:
        return None
    name = match.group(1)
    if name.startswith("#"):
        try:
            code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
            char = chr(code)
        except (ValueError, OverflowError):
            return None
        if code == 0 or 0xD800 <= code <= 0xDFFF:
            return None
    else:
        char = _NAMED_ENTITIES.get(name)
        if char is None:
            return None
    return char, match.end()


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        decoded = _decode_entity(value, i) if value[i] == "&" else None
        if decoded:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_html(html: str, *, strict_ampersand: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """(visible text, entities) of an HTML-mode text, or `BadRequest` as Telegram refuses it.

    Offsets and lengths are in UTF-16 code units, as in the Bot API. Telegram takes a lone
    `&` as text; `strict_ampersand` refuses it, which catches user input that was not
    escaped (a typed `&lt;` would otherwise show as `<`).
    """
    out: list[str] = []
    pos = 0  # UTF-16 length of `out`
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(html)

    def fail(reason: str) -> BadRequest:
        return BadRequest(f"can't parse entities: {reason}")

    while i < n:
        char = html[i]
        if char == "&":
            decoded = _decode_entity(html, i)
            if decoded:
                out.append(decoded[0])
                pos += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise fail(f"unescaped '&' at byte offset {len(html[:i].encode())}")
        if char != "<":
            out.append(char)
            pos += utf16_len(char)
            i += 1
            continue
        offset = len(html[:i].encode())
        if html.startswith("</", i):
            name_match = _TAG_NAME.match(html, i + 2)
            name = name_match.group(0).lower()
            close = html.find(">", name_match.end())
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {offset}")
            if close == -1 or html[name_match.end() : close].strip():
                raise fail(f"Unclosed end tag at byte offset {offset}")
            if name != stack[-1].tag:
                raise fail(
                    f'End tag "{name}" doesn\'t match start tag "{stack[-1].tag}" '
                    f"at byte offset {offset}"
                )
            entity = _entity(stack.pop(), pos)
            if entity is not None:
                entities.append(entity)
            i = close + 1
            continue
        name_match = _TAG_NAME.match(html, i + 1)
        name = name_match.group(0).lower()
        if name not in SUPPORTED_TAGS:
            raise fail(f'Unsupported start tag "{name}" at byte offset {offset}')
        j, attrs = name_match.end(), {}
        while True:
            while j < n and html[j].isspace():
                j += 1
            if j >= n:
                raise fail(f'Unclosed start tag "{name}" at byte offset {offset}')
            if html[j] == ">":
                break
            attribute = _ATTRIBUTE.match(html, j)
            if not attribute or attribute.end() == j:
                raise fail(f'Unclosed start tag "{name}" at byte offset {offset}')
            value = attribute.group(2) or ""
            if value[:1] in "\"'" and value:
                value = value[1:-1]
            attrs[attribute.group(1).lower()] = _unescape(value)
            j = attribute.end()
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append(_Open(name, pos, attrs))
        i = j + 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    text = "".join(out)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return text, entities


def _entity(opened: _Open, end: int) -> dict[str, Any] | None:
    length = end - opened.start
    if length <= 0:
        return None  # Telegram drops empty entities
    entity: dict[str, Any] = {"offset": opened.start, "length": length}
    tag, attrs = opened.tag, opened.attrs
    if tag in _SIMPLE_TAGS:
        entity["type"] = _SIMPLE_TAGS[tag]
    elif tag == "span":
        entity["type"] = "spoiler"
    elif tag == "a":
        url = attrs.get("href", "")
        if not url:
            return None
        entity.update(type="text_link", url=url)
    elif tag == "code":
        entity["type"] = "code"
    elif tag == "pre":
        entity["type"] = "pre"
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    else:  # tg-emoji: shown as its fallback emoji
        return None
    return entity


_AUTO = re.compile(
    r"(?P<url>\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]])"
    r"|(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?)(?!\w)"
    r"|(?P<mention>(?<!\w)@[A-Za-z0-9_]{5,32})(?!\w)"
)


def detect_entities(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adds the links, commands and @mentions Telegram finds in plain text by itself."""
    taken = [
        (e["offset"], e["offset"] + e["length"])
        for e in entities
        if e["type"] in {"code", "pre", "text_link"}
    ]
    found = []
    for match in _AUTO.finditer(text):
        offset = utf16_len(text[: match.start()])
        length = utf16_len(match.group(0))
        if any(a < offset + length and offset < b for a, b in taken):
            continue
        found.append({"type": match.lastgroup, "offset": offset, "length": length})
    merged = entities + found
    merged.sort(key=lambda e: (e["offset"], -e["length"]))
    return merged


def format_text(
    text: str,
    parse_mode: str | None,
    limit: int,
    *,
    allow_empty: bool = False,
    strict_ampersand: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """A text or caption as Telegram stores it: parsed, trimmed, checked against `limit`."""
    if parse_mode and parse_mode.upper() == "HTML":
        shown, entities = parse_html(text, strict_ampersand=strict_ampersand)
    elif parse_mode:
        raise BadRequest(f"unsupported parse_mode {parse_mode!r} in the playground")
    else:
        shown, entities = text, []
    stripped = shown.strip()
    if stripped != shown:
        cut = utf16_len(shown[: len(shown) - len(shown.lstrip())])
        shown = stripped
        size = utf16_len(shown)
        entities = [
            {**e, "offset": max(0, e["offset"] - cut)} for e in entities if e["offset"] >= cut
        ]
        entities = [
            {**e, "length": min(e["length"], size - e["offset"])}
            for e in entities
            if e["offset"] < size
        ]
    if utf16_len(shown) > limit:
        raise BadRequest(
            "message is too long" if limit == TEXT_LIMIT else "message caption is too long"
        )
    if not shown and not allow_empty:
        raise BadRequest("message text is empty")
    return shown, detect_entities(shown, entities)


# -- keyboards ---------------------------------------------------------------------------

_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "pay",
    "web_app",
    "login_url",
    "callback_game",
)
INLINE_BUTTONS_LIMIT = 100  # Telegram's, in all rows together (not in the Bot API docs)
_CURRENCY = re.compile(r"^[A-Z]{3}$")  # an ISO 4217 code
_URL = re.compile(r"^(https?://[^\s/$.?#].[^\s]*|tg://[^\s]+)$", re.IGNORECASE)


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """The markup as a dict, checked as Telegram checks an inline or reply keyboard."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise BadRequest("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise BadRequest(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        if sum(len(row) for row in rows) > INLINE_BUTTONS_LIMIT:
            raise BadRequest("reply markup is too long")
        for row in rows:
            for button in row:
                check_inline_button(button)
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise BadRequest(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise BadRequest("keyboard button text must be non-empty")
    elif not markup.get("remove_keyboard") and not markup.get("force_reply"):
        raise BadRequest("can't parse reply keyboard markup JSON object")
    return markup


def check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise BadRequest("can't parse inline keyboard button: Text must be a String")
    if not button["text"].strip():
        raise BadRequest("BUTTON_TEXT_EMPTY")
    actions = [name for name in _INLINE_ACTIONS if name in button]
    if len(actions) != 1:
        raise BadRequest("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise BadRequest("BUTTON_DATA_INVALID")
    if "url" in button and not _URL.match(str(button["url"])):
        raise BadRequest("BUTTON_URL_INVALID")


def check_invoice(params: dict[str, Any]) -> dict[str, Any]:
    """A sendInvoice call's Invoice object, checked as Telegram checks it: Stars (one
    price, no provider) or a payment provider's (its token, a currency code, price lines)."""
    title, description = str(params.get("title", "")), str(params.get("description", ""))
    payload, currency = str(params.get("payload", "")), params.get("currency")
    prices = params.get("prices")
    if not 1 <= len(title) <= INVOICE_TITLE_LIMIT:
        raise BadRequest("INVOICE_TITLE_INVALID" if title else "title is empty")
    if not 1 <= len(description) <= INVOICE_DESCRIPTION_LIMIT:
        raise BadRequest("INVOICE_DESCRIPTION_INVALID")
    if not 1 <= len(payload.encode()) <= INVOICE_PAYLOAD_LIMIT:
        raise BadRequest("INVOICE_PAYLOAD_INVALID")
    if currency == "XTR":
        if not isinstance(prices, list) or len(prices) != 1 or params.get("provider_token"):
            raise BadRequest("STARS_INVOICE_INVALID")
    elif not params.get("provider_token"):
        raise BadRequest("PAYMENT_PROVIDER_INVALID")
    elif not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise BadRequest("CURRENCY_INVALID")
    elif not isinstance(prices, list) or not prices:
        raise BadRequest("CURRENCY_TOTAL_AMOUNT_INVALID")
    amounts = [price.get("amount") if isinstance(price, dict) else None for price in prices]
    if not all(isinstance(a, int) for a in amounts) or sum(amounts) <= 0:
        raise BadRequest("CURRENCY_TOTAL_AMOUNT_INVALID")
    return {
        "title": title,
        "description": description,
        "start_parameter": "",
        "currency": currency,
        "total_amount": sum(amounts),
    }


def check_callback_answer(text: str | None) -> None:
    if text and len(text) > CALLBACK_ANSWER_LIMIT:
        raise BadRequest("MESSAGE_TOO_LONG")
