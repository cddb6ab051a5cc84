"""Telegram's rules as the playground applies them: HTML entities, limits, keyboards."""

import pytest

from playground.rules import (
    CALLBACK_DATA_LIMIT,
    BadRequest,
    check_callback_answer,
    check_reply_markup,
    format_text,
    parse_html,
    utf16_len,
)

# Its own SQLite file (or none): the PostgreSQL run would only repeat it.
pytestmark = pytest.mark.own_sqlite


def test_html_becomes_text_and_entities_in_utf16_units():
    text, entities = parse_html('🙂 <b>Tea</b> &amp; <a href="https://x.org/?a=1&amp;b=2">cake</a>')
    assert text == "🙂 Tea & cake"
    assert entities == [
        {"offset": 3, "length": 3, "type": "bold"},  # the emoji is two UTF-16 units
        {"offset": 9, "length": 4, "type": "text_link", "url": "https://x.org/?a=1&b=2"},
    ]


def test_every_tag_telegram_allows_is_an_entity():
    html = (
        "<b>b</b><strong>b</strong><i>i</i><em>i</em><u>u</u><ins>u</ins><s>s</s>"
        "<strike>s</strike><del>s</del><tg-spoiler>p</tg-spoiler>"
        '<span class="tg-spoiler">p</span><code>c</code><pre>p</pre>'
        "<blockquote>q</blockquote><blockquote expandable>q</blockquote>"
    )
    _, entities = parse_html(html)
    assert [e["type"] for e in entities] == [
        "bold",
        "bold",
        "italic",
        "italic",
        "underline",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "spoiler",
        "spoiler",
        "code",
        "pre",
        "blockquote",
        "expandable_blockquote",
    ]


def test_entities_decode_as_telegram_does():
    assert parse_html("&lt;b&gt; &quot;x&quot; &#65;&#x42; a & b &nbsp;")[0] == (
        '<b> "x" AB a & b &nbsp;'
    )


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<img src=x onerror=alert(1)>", 'Unsupported start tag "img" at byte offset 0'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'End tag "b" doesn\'t match start tag "i"'),
        ("text</b>", "Unexpected end tag at byte offset 4"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b", 'Unclosed start tag "b"'),
    ],
)
def test_malformed_html_is_refused_as_telegram_refuses_it(html, reason):
    with pytest.raises(BadRequest) as error:
        parse_html(html)
    assert error.value.description.startswith("can't parse entities: ")
    assert reason in error.value.description


def test_strict_ampersand_catches_unescaped_input():
    assert parse_html("Tom & Jerry")[0] == "Tom & Jerry"
    with pytest.raises(BadRequest, match="unescaped '&'"):
        parse_html("Tom & Jerry", strict_ampersand=True)


def test_limits_count_visible_utf16_units_after_parsing():
    assert format_text("<b>" + "x" * 4096 + "</b>", "HTML", 4096)[0] == "x" * 4096
    with pytest.raises(BadRequest, match="message is too long"):
        format_text("x" * 4097, "HTML", 4096)
    with pytest.raises(BadRequest, match="message is too long"):
        format_text("🙂" * 2049, None, 4096)  # 2049 characters, 4098 UTF-16 units
    with pytest.raises(BadRequest, match="caption is too long"):
        format_text("x" * 1025, "HTML", 1024)
    assert utf16_len("🙂a") == 3


def test_empty_text_is_refused_and_whitespace_trimmed():
    with pytest.raises(BadRequest, match="message text is empty"):
        format_text("  <b> </b> ", "HTML", 4096)
    text, entities = format_text("  <b>hi</b> there  ", "HTML", 4096)
    assert text == "hi there"
    assert entities == [{"offset": 0, "length": 2, "type": "bold"}]
    assert format_text("", "HTML", 1024, allow_empty=True) == ("", [])


def test_commands_links_and_mentions_are_found_in_plain_text():
    _, entities = format_text("Try /start or https://t.me/shop_bot, ask @helper_bot", None, 4096)
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bot_command", 4, 6),
        ("url", 14, 21),
        ("mention", 41, 11),
    ]
    _, inside_code = format_text("<code>/start</code>", "HTML", 4096)
    assert [e["type"] for e in inside_code] == ["code"]


def test_callback_data_is_limited_to_64_bytes():
    ok = {"inline_keyboard": [[{"text": "a", "callback_data": "x" * CALLBACK_DATA_LIMIT}]]}
    assert check_reply_markup(ok) is ok
    for data in ("", "x" * 65, "я" * 33):  # Cyrillic letters are two bytes each
        with pytest.raises(BadRequest, match="BUTTON_DATA_INVALID"):
            check_reply_markup({"inline_keyboard": [[{"text": "a", "callback_data": data}]]})


def test_an_inline_keyboard_holds_at_most_100_buttons():
    """As Telegram: more than 100 in all rows is "reply markup is too long"."""
    button = {"text": "a", "callback_data": "x"}
    ok = {"inline_keyboard": [[button] * 4] * 25}
    assert check_reply_markup(ok) is ok
    with pytest.raises(BadRequest, match="reply markup is too long"):
        check_reply_markup({"inline_keyboard": [[button] * 4] * 25 + [[button]]})


@pytest.mark.parametrize(
    ("button", "reason"),
    [
        ({"text": "no action"}, "text buttons are unallowed"),
        ({"text": "two", "url": "https://x.org", "callback_data": "x"}, "unallowed"),
        ({"text": "bad", "url": "javascript:alert(1)"}, "BUTTON_URL_INVALID"),
        ({"text": " ", "callback_data": "x"}, "BUTTON_TEXT_EMPTY"),
        ({"callback_data": "x"}, "Text must be a String"),
    ],
)
def test_bad_inline_buttons_are_refused(button, reason):
    with pytest.raises(BadRequest, match=reason):
        check_reply_markup({"inline_keyboard": [[button]]})


def test_reply_keyboards_and_removal_pass_other_objects_do_not():
    assert check_reply_markup({"keyboard": [[{"text": "Yes"}]], "one_time_keyboard": True})
    assert check_reply_markup({"remove_keyboard": True})
    with pytest.raises(BadRequest):
        check_reply_markup({"keyboard": [[{"text": ""}]]})
    with pytest.raises(BadRequest):
        check_reply_markup({"something": 1})
    with pytest.raises(BadRequest):
        check_reply_markup("not an object")


def test_callback_answer_text_is_limited_to_200_characters():
    check_callback_answer("я" * 200)
    with pytest.raises(BadRequest, match="MESSAGE_TOO_LONG"):
        check_callback_answer("x" * 201)
