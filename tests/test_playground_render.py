"""The page's renderer: what the bot sends becomes HTML that can only show text."""

import pytest

from playground.render import buttons, for_page, to_html
from playground.rules import format_text

# Its own SQLite file (or none): the PostgreSQL run would only repeat it.
pytestmark = pytest.mark.own_sqlite

XSS = "<img src=x onerror=alert(1)>"


def shown(html: str) -> str:
    return to_html(*format_text(html, "HTML", 4096))


def test_a_product_named_like_markup_shows_as_text():
    # The bot escapes the name; Telegram turns it back into text; the page escapes it again.
    page = shown("<b>&lt;img src=x onerror=alert(1)&gt;</b>")
    assert page == "<b>&lt;img src=x onerror=alert(1)&gt;</b>"
    assert "<img" not in page


def test_text_without_entities_is_escaped_whole():
    assert to_html(XSS + ' & "q"', []) == '&lt;img src=x onerror=alert(1)&gt; &amp; "q"'


def test_links_keep_only_safe_addresses():
    page = shown('<a href="javascript:alert(1)">x</a> <a href="https://a.org/?q=&quot;&gt;">y</a>')
    assert "javascript" not in page
    assert (
        '<a href="https://a.org/?q=&quot;&gt;" target="_blank" rel="noopener noreferrer">y</a>'
        in page
    )
    assert page.startswith('<span class="link">x</span>')


def test_telegram_formatting_becomes_tags_nested_in_utf16_offsets():
    page = shown(
        "🙂 <b>bold <i>both</i></b> <tg-spoiler>secret</tg-spoiler> <code>&lt;c&gt;</code>"
    )
    assert page == (
        '🙂 <b>bold <i>both</i></b> <span class="spoiler">secret</span> <code>&lt;c&gt;</code>'
    )


def test_commands_become_buttons_that_send_them():
    assert shown("Send /cart") == (
        'Send <a href="#" class="command" data-command="/cart">/cart</a>'
    )


def test_crossing_or_broken_entities_never_break_the_markup():
    crossing = [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 2, "length": 4},
        {"type": "code", "offset": 50, "length": 3},  # past the end
        {"type": "bold", "offset": "x", "length": 1},  # not a number
    ]
    assert to_html("abcdef", crossing) == "<b>ab<i>cd</i></b><i>ef</i>"


def test_a_message_for_the_page_carries_photo_buttons_and_invoice():
    message = {
        "message_id": 3,
        "date": 1,
        "from": {"id": 1},
        "photo": [{"file_id": "file-1"}],
        "caption": XSS,
        "reply_markup": {
            "inline_keyboard": [
                [{"text": XSS, "callback_data": "x"}, {"text": "Site", "url": "javascript:x"}],
                [{"text": "Copy", "copy_text": {"text": "code"}}],
            ]
        },
    }
    page = for_page(message, bot_id=1)
    assert page["photo"] == "/file/file-1" and page["out"] is False
    assert page["html"] == "&lt;img src=x onerror=alert(1)&gt;"
    # Button labels are drawn with textContent; a URL button keeps no unsafe address.
    assert page["buttons"] == [
        [{"text": XSS, "kind": "callback"}, {"text": "Site", "kind": "url", "url": None}],
        [{"text": "Copy", "kind": "copy", "copy": "code"}],
    ]
    assert buttons(None) == []
