"""The playground's Bot API and people: what the bot's calls do to each chat."""

import json

import pytest

from playground.botapi import BotApi, UnknownMethod
from playground.people import ActionError, People
from playground.rules import NOT_MODIFIED, QUERY_EXPIRED, BadRequest

# Its own SQLite file (or none): the PostgreSQL run would only repeat it.
pytestmark = pytest.mark.own_sqlite

BOT = {"id": 1, "is_bot": True, "first_name": "Shop", "username": "shop_bot"}
ANN = {"id": 10, "is_bot": False, "first_name": "Ann", "language_code": "en"}
BOB = {"id": 20, "is_bot": False, "first_name": "Bob", "language_code": "en"}
KB = json.dumps({"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]})


@pytest.fixture
def world():
    api = BotApi(BOT, clock=lambda: 1_700_000_000)
    people = People(api)
    people.add(ANN, "+15550001")
    people.add(BOB, "+15550002")
    events = []
    api.listeners.append(lambda chat, event: events.append((chat, event)))
    return api, people, events


def test_message_ids_count_per_chat_shared_by_both_sides(world):
    api, people, _ = world
    assert people.send_text(10, "/start")["message_id"] == 1
    assert api.call("sendMessage", {"chat_id": "10", "text": "Hi"})["message_id"] == 2
    assert api.call("sendMessage", {"chat_id": "20", "text": "Hi"})["message_id"] == 1
    with pytest.raises(BadRequest, match="chat not found"):
        api.call("sendMessage", {"chat_id": "99", "text": "Hi"})


def test_sent_html_is_stored_as_text_and_entities_and_shown_live(world):
    api, _, events = world
    sent = api.call(
        "sendMessage",
        {"chat_id": "10", "text": "<b>Tea</b> &lt;3", "parse_mode": "HTML", "reply_markup": KB},
    )
    assert sent["text"] == "Tea <3"
    assert sent["entities"] == [{"offset": 0, "length": 3, "type": "bold"}]
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "go"
    assert events == [(10, {"type": "message", "message": sent})]
    with pytest.raises(BadRequest, match="can't parse entities"):
        api.call("sendMessage", {"chat_id": "10", "text": "<x>", "parse_mode": "HTML"})


def test_edits_follow_telegrams_rules(world):
    api, _, _ = world
    text = api.call("sendMessage", {"chat_id": "10", "text": "A", "reply_markup": KB})
    edit = {"chat_id": "10", "message_id": str(text["message_id"])}
    with pytest.raises(BadRequest) as same:
        api.call("editMessageText", {**edit, "text": "A", "reply_markup": KB})
    assert same.value.description == NOT_MODIFIED
    # Without reply_markup the keyboard goes, as in Telegram.
    edited = api.call("editMessageText", {**edit, "text": "A"})
    assert "reply_markup" not in edited and edited["edit_date"] == 1_700_000_000
    with pytest.raises(BadRequest, match="no caption in the message"):
        api.call("editMessageCaption", {**edit, "caption": "x"})
    with pytest.raises(BadRequest, match="no media in the message"):
        api.call("editMessageMedia", {**edit, "media": json.dumps({"type": "photo", "media": "x"})})
    with pytest.raises(BadRequest, match="message to edit not found"):
        api.call("editMessageText", {"chat_id": "10", "message_id": "99", "text": "B"})


def test_photo_messages_edit_caption_and_media_not_text(world):
    api, _, _ = world
    photo = api.call("sendPhoto", {"chat_id": "10", "photo": "https://x.org/a.png", "caption": "A"})
    edit = {"chat_id": "10", "message_id": str(photo["message_id"])}
    with pytest.raises(BadRequest, match="no text in the message"):
        api.call("editMessageText", {**edit, "text": "B"})
    same = json.dumps({"type": "photo", "media": "https://x.org/a.png", "caption": "A"})
    with pytest.raises(BadRequest, match="not modified"):
        api.call("editMessageMedia", {**edit, "media": same})
    other = json.dumps({"type": "photo", "media": "https://x.org/b.png", "caption": "B"})
    edited = api.call("editMessageMedia", {**edit, "media": other})
    assert edited["caption"] == "B" and api.files[edited["photo"][0]["file_id"]] == {
        "url": "https://x.org/b.png"
    }
    with pytest.raises(BadRequest, match="wrong file identifier"):
        api.call("sendPhoto", {"chat_id": "10", "photo": "no-such-file-id"})


def test_people_messages_cannot_be_edited_but_can_be_deleted(world):
    api, people, events = world
    typed = people.send_text(10, "hello")
    ref = {"chat_id": "10", "message_id": str(typed["message_id"])}
    with pytest.raises(BadRequest, match="can't be edited"):
        api.call("editMessageText", {**ref, "text": "x"})
    assert api.call("deleteMessage", ref) is True
    assert events[-1] == (10, {"type": "delete", "message_id": typed["message_id"]})
    with pytest.raises(BadRequest, match="message to delete not found"):
        api.call("deleteMessage", ref)


def test_a_button_press_is_a_callback_query_answered_once(world):
    api, people, events = world
    card = api.call("sendMessage", {"chat_id": "10", "text": "Card", "reply_markup": KB})
    assert people.press(10, card["message_id"], 0, 0) == "callback"
    [update] = people.take(0)
    query = update["callback_query"]
    assert query["data"] == "go" and query["message"]["text"] == "Card"
    assert query["from"] == ANN
    answer = {"callback_query_id": query["id"], "text": "Added", "show_alert": "true"}
    assert api.call("answerCallbackQuery", answer) is True
    assert events[-1] == (10, {"type": "answer", "text": "Added", "show_alert": True})
    with pytest.raises(BadRequest) as twice:
        api.call("answerCallbackQuery", answer)
    assert twice.value.description == QUERY_EXPIRED
    with pytest.raises(ActionError):
        people.press(10, card["message_id"], 0, 5)  # no such button
    with pytest.raises(ActionError):
        people.press(20, card["message_id"], 0, 0)  # another person's chat


def test_get_updates_confirms_with_offset(world):
    _, people, _ = world
    people.send_text(10, "one")
    people.send_text(20, "two")
    first, second = people.take(0)
    assert people.take(second["update_id"]) == [second]
    assert people.take(second["update_id"] + 1) == []
    assert first["message"]["text"] == "one"


def test_reply_keyboard_lives_under_the_input_until_removed(world):
    api, people, events = world
    keyboard = {
        "keyboard": [[{"text": "Share", "request_contact": True}]],
        "one_time_keyboard": True,
    }
    sent = api.call(
        "sendMessage", {"chat_id": "10", "text": "Phone?", "reply_markup": json.dumps(keyboard)}
    )
    assert "reply_markup" not in sent  # Telegram does not return a reply keyboard
    assert api.chats[10].keyboard == keyboard
    people.send_contact(10)
    assert api.chats[10].keyboard is None  # one-time: gone after use
    contact = people.take(0)[-1]["message"]["contact"]
    assert contact == {"phone_number": "+15550001", "first_name": "Ann", "user_id": 10}
    api.call("sendMessage", {"chat_id": "10", "text": "x", "reply_markup": json.dumps(keyboard)})
    api.call(
        "sendMessage", {"chat_id": "10", "text": "y", "reply_markup": '{"remove_keyboard":true}'}
    )
    assert api.chats[10].keyboard is None
    assert events[-2] == (10, {"type": "keyboard", "markup": None})


def invoice(api, amount=5):
    return api.call(
        "sendInvoice",
        {
            "chat_id": "10",
            "title": "Order #1",
            "description": "Tea × 1",
            "payload": "order:1",
            "currency": "XTR",
            "prices": json.dumps([{"label": "Order #1", "amount": amount}]),
        },
    )


def test_stars_invoice_is_paid_only_after_the_bot_says_yes(world):
    api, people, _ = world
    sent = invoice(api)
    assert sent["invoice"]["total_amount"] == 5 and "_payload" not in sent
    people.pay(10, sent["message_id"])
    [update] = people.take(0)
    query = update["pre_checkout_query"]
    assert (query["invoice_payload"], query["total_amount"]) == ("order:1", 5)
    api.call("answerPreCheckoutQuery", {"pre_checkout_query_id": query["id"], "ok": "true"})
    payment = people.take(update["update_id"] + 1)[0]["message"]["successful_payment"]
    assert payment["invoice_payload"] == "order:1" and payment["currency"] == "XTR"
    with pytest.raises(ActionError, match="already paid"):
        people.pay(10, sent["message_id"])
    refund = {"user_id": "10", "telegram_payment_charge_id": payment["telegram_payment_charge_id"]}
    assert api.call("refundStarPayment", refund) is True
    with pytest.raises(BadRequest, match="CHARGE_ALREADY_REFUNDED"):
        api.call("refundStarPayment", refund)


def test_a_refused_pre_checkout_pays_nothing_and_says_why(world):
    api, people, events = world
    sent = invoice(api)
    people.pay(10, sent["message_id"])
    query = people.take(0)[0]["pre_checkout_query"]
    refusal = {"pre_checkout_query_id": query["id"], "ok": "false", "error_message": "Sold out"}
    api.call("answerPreCheckoutQuery", refusal)
    assert events[-1] == (10, {"type": "answer", "text": "Sold out", "show_alert": True})
    assert not [u for u in people.take(0) if "message" in u]
    people.pay(10, sent["message_id"])  # may try again


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("title", "x" * 33, "INVOICE_TITLE_INVALID"),
        ("currency", "RUB", "PAYMENT_PROVIDER_INVALID"),  # not Stars: needs a provider
        ("prices", "[]", "STARS_INVOICE_INVALID"),
        ("prices", '[{"label": "x", "amount": 0}]', "CURRENCY_TOTAL_AMOUNT_INVALID"),
        ("payload", "", "INVOICE_PAYLOAD_INVALID"),
    ],
)
def test_bad_invoices_are_refused(world, field, value, reason):
    api, _, _ = world
    params = {
        "chat_id": "10",
        "title": "T",
        "description": "D",
        "payload": "p",
        "currency": "XTR",
        "prices": '[{"label": "x", "amount": 1}]',
        field: value,
    }
    with pytest.raises(BadRequest, match=reason):
        api.call("sendInvoice", params)


def test_a_provider_invoice_has_its_token_a_currency_code_and_price_lines(world):
    api, _, _ = world
    params = {
        "chat_id": "10",
        "title": "T",
        "description": "D",
        "payload": "p",
        "currency": "RUB",
        "provider_token": "284685063:TEST:abc",
        "prices": '[{"label": "Tea", "amount": 1230}, {"label": "Discount", "amount": -30}]',
    }
    assert api.call("sendInvoice", params)["invoice"]["total_amount"] == 1200
    with pytest.raises(BadRequest, match="CURRENCY_INVALID"):
        api.call("sendInvoice", {**params, "currency": "rubles"})
    with pytest.raises(BadRequest, match="STARS_INVOICE_INVALID"):
        api.call("sendInvoice", {**params, "currency": "XTR"})  # Stars take no provider


def test_commands_are_kept_per_language(world):
    api, _, events = world
    api.call("setMyCommands", {"commands": '[{"command": "cart", "description": "Cart"}]'})
    assert events == [(10, {"type": "commands"}), (20, {"type": "commands"})]  # menus refresh
    ru = '[{"command": "cart", "description": "Корзина"}]'
    api.call("setMyCommands", {"commands": ru, "language_code": "ru"})
    assert api.commands[("", "ru")][0]["description"] == "Корзина"
    assert api.call("getMyCommands", {})[0]["description"] == "Cart"
    with pytest.raises(BadRequest, match="BOT_COMMAND_INVALID"):
        api.call("setMyCommands", {"commands": '[{"command": "Bad Name", "description": "x"}]'})
    # One chat's own menu (a seller's), picked before the language's, as Telegram does.
    events.clear()
    seller = '[{"command": "seller", "description": "Мои товары"}]'
    api.call("setMyCommands", {"commands": seller, "scope": '{"type": "chat", "chat_id": 10}'})
    assert events == [(10, {"type": "commands"})]
    assert api.menu_for(10, "ru")[0]["command"] == "seller"
    assert api.menu_for(20, "ru")[0]["description"] == "Корзина"
    api.call("deleteMyCommands", {"scope": '{"type": "chat", "chat_id": 10}'})
    assert api.menu_for(10, "ru")[0]["description"] == "Корзина"
    with pytest.raises(BadRequest, match="chat not found"):
        api.call("setMyCommands", {"commands": seller, "scope": '{"type": "chat"}'})


def test_unknown_methods_and_bad_json_are_errors_not_silence(world):
    api, _, _ = world
    with pytest.raises(UnknownMethod):
        api.call("sendDice", {"chat_id": "10"})
    with pytest.raises(BadRequest, match="can't parse reply_markup"):
        api.call("sendMessage", {"chat_id": "10", "text": "x", "reply_markup": "{oops"})


def test_inline_results_can_be_posted_only_as_offered(world):
    api, people, _ = world
    people.inline_query(10, "tea")
    query = people.take(0)[0]["inline_query"]
    result = {
        "type": "article",
        "id": "p1",
        "title": "Tea",
        "input_message_content": {"message_text": "<b>Tea</b>", "parse_mode": "HTML"},
    }
    api.call("answerInlineQuery", {"inline_query_id": query["id"], "results": json.dumps([result])})
    posted = people.choose_inline(10, {"id": "p1", "input_message_content": {}})
    assert posted["text"] == "Tea" and posted["via_bot"] == BOT
    with pytest.raises(ActionError):
        people.choose_inline(10, {"id": "forged", "input_message_content": {}})


def test_people_input_is_checked(world):
    _, people, _ = world
    with pytest.raises(ActionError):
        people.send_text(10, "   ")
    with pytest.raises(ActionError):
        people.send_text(99, "hi")
    with pytest.raises(ActionError):
        people.send_photo(10, b"<svg/>", "image/svg+xml")
    photo = people.send_photo(10, b"\x89PNG...", "image/png", "  my tea  ")
    assert photo["caption"] == "my tea"
