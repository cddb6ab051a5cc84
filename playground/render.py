"""Messages as the page shows them: text plus entities turned into safe HTML.

Everything the bot or a person wrote is escaped here; the only tags in the output are
the ones this module writes for entities, and links keep only http(s), tg and mailto
addresses. The page puts `html` into the chat as is, so this is the one place that
decides what can reach the browser's DOM.
"""

from __future__ import annotations

import html
from typing import Any

_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
    "mention": ('<span class="mention">', "</span>"),
}
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")


def safe_url(url: str) -> str | None:
    url = url.strip()
    return url if url.lower().startswith(_SAFE_SCHEMES) else None


def _open(entity: dict[str, Any], piece: str) -> tuple[str, str]:
    kind = entity.get("type")
    if kind in _TAGS:
        return _TAGS[kind]
    if kind in ("text_link", "url"):
        url = safe_url(entity.get("url", piece) if kind == "text_link" else piece)
        if url is None:
            return '<span class="link">', "</span>"
        return (
            f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">',
            "</a>",
        )
    if kind == "bot_command":
        command = html.escape(piece, quote=True)
        return f'<a href="#" class="command" data-command="{command}">', "</a>"
    return "", ""


def to_html(text: str, entities: list[dict[str, Any]] | None) -> str:
    """`text` with its entities as HTML; offsets are UTF-16 units, as the Bot API counts."""
    if not text:
        return ""
    units = text.encode("utf-16-le")
    size = len(units) // 2

    def cut(a: int, b: int) -> str:
        return units[a * 2 : b * 2].decode("utf-16-le", errors="replace")

    opens: dict[int, list[tuple[int, str, str]]] = {}
    for entity in entities or []:
        try:
            start, length = int(entity["offset"]), int(entity["length"])
        except (KeyError, TypeError, ValueError):
            continue
        end = min(start + length, size)
        if start < 0 or end <= start:
            continue
        tag, close = _open(entity, cut(start, end))
        if tag:
            opens.setdefault(start, []).append((end, tag, close))
    out: list[str] = []
    stack: list[tuple[int, str, str]] = []  # (end, tag, closing tag), innermost last
    pos = 0
    points = sorted({0, size, *opens, *(e for v in opens.values() for e, _, _ in v)})
    for point in points:
        if point > pos:
            out.append(html.escape(cut(pos, point), quote=False))
            pos = point
        # Close what ends here; an entity crossing another is closed and reopened.
        reopen = []
        while stack and any(end <= point for end, _, _ in stack):
            end, tag, close = stack.pop()
            out.append(close)
            if end > point:
                reopen.append((end, tag, close))
        for end, tag, close in reversed(reopen):
            out.append(tag)
            stack.append((end, tag, close))
        for end, tag, close in sorted(opens.get(point, []), key=lambda o: -o[0]):
            out.append(tag)
            stack.append((end, tag, close))
    for _, _, close in reversed(stack):
        out.append(close)
    return "".join(out)


def buttons(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    """An inline keyboard as the page draws it: label, what kind, and its target."""
    rows = []
    for row in (markup or {}).get("inline_keyboard", []):
        drawn = []
        for button in row:
            item: dict[str, Any] = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                item["kind"] = "callback"
            elif "url" in button:
                item.update(kind="url", url=safe_url(str(button["url"])))
            elif "switch_inline_query" in button:
                item.update(kind="switch_inline", query=str(button["switch_inline_query"]))
            elif "switch_inline_query_current_chat" in button:
                query = str(button["switch_inline_query_current_chat"])
                item.update(kind="switch_inline", query=query)
            elif "copy_text" in button:
                item.update(kind="copy", copy=str(button["copy_text"].get("text", "")))
            elif button.get("pay"):
                item["kind"] = "pay"
            else:
                item["kind"] = "unsupported"
            drawn.append(item)
        rows.append(drawn)
    return rows


def for_page(message: dict[str, Any], bot_id: int) -> dict[str, Any]:
    """A stored message as the page's chat draws it."""
    shown: dict[str, Any] = {
        "id": message["message_id"],
        "out": message["from"]["id"] != bot_id,  # sent by the person, drawn on the right
        "date": message["date"],
        "edited": "edit_date" in message,
        "buttons": buttons(message.get("reply_markup")),
    }
    if "text" in message:
        shown["html"] = to_html(message["text"], message.get("entities"))
    if "photo" in message:
        shown["photo"] = f"/file/{message['photo'][-1]['file_id']}"
        shown["html"] = to_html(message.get("caption", ""), message.get("caption_entities"))
    if "document" in message:
        doc = message["document"]
        name = html.escape(doc.get("file_name", "file"), quote=True)
        href = "/file/" + html.escape(doc["file_id"], quote=True)
        link = f'📎 <a href="{href}" download="{name}">{name}</a>'
        caption = to_html(message.get("caption", ""), message.get("caption_entities"))
        shown["html"] = link + ("<br>" + caption if caption else "")
    if "contact" in message:
        contact = message["contact"]
        shown["html"] = html.escape(f"📱 {contact['first_name']}: {contact['phone_number']}")
    if "invoice" in message:
        invoice = message["invoice"]
        shown["invoice"] = {
            "title": invoice["title"],
            "description": invoice["description"],
            "amount": invoice["total_amount"],
            "currency": invoice["currency"],
            "paid": bool(message.get("_paid")),
        }
    if "successful_payment" in message:
        payment = message["successful_payment"]
        shown["service"] = f"You paid {payment['total_amount']:,} ⭐".replace(",", " ")
    if "via_bot" in message:
        shown["via"] = message["via_bot"].get("username", "")
    return shown
