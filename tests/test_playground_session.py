"""The real dispatcher on `RulesSession`: the playground's rules in process, no HTTP."""

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNotFound
from aiogram.methods import SendDice
from aiogram.types import BufferedInputFile, Update

from bot.factory import create_bot, create_dispatcher
from bot.storage import SqlStorage
from playground.botapi import BotApi
from playground.people import People
from playground.session import RulesSession
from tests.tg import BOT_ID, BOT_USERNAME, FakeBotAPI

ANN = {"id": 501, "is_bot": False, "first_name": "Ann", "language_code": "en"}


@pytest.fixture
def harness(settings, pool):
    api = BotApi({"id": BOT_ID, "is_bot": True, "first_name": "Shop", "username": BOT_USERNAME})
    people = People(api)
    people.add(ANN, "+15550000501")
    bot = create_bot(settings, session=RulesSession(api))
    dp = create_dispatcher(settings, pool, SqlStorage(pool))

    async def deliver() -> None:
        """Feeds the dispatcher what people did since the last call, in order."""
        for update in people.take(0):
            people.take(update["update_id"] + 1)
            await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))

    return api, people, bot, deliver


def bot_messages(api: BotApi) -> list[dict]:
    return [m for m in api.chats[ANN["id"]].messages.values() if m["from"]["id"] == BOT_ID]


async def test_the_bot_answers_and_edits_in_place_under_the_rules(harness):
    api, people, _, deliver = harness
    people.send_text(ANN["id"], "/start")
    await deliver()
    [menu] = bot_messages(api)
    assert "Welcome to the shop" in menu["text"]
    row, column = next(
        (r, c)
        for r, buttons in enumerate(menu["reply_markup"]["inline_keyboard"])
        for c, button in enumerate(buttons)
        if "Catalog" in button["text"]
    )
    people.press(ANN["id"], menu["message_id"], row, column)
    await deliver()
    [edited] = bot_messages(api)
    assert edited["message_id"] == menu["message_id"] and "edit_date" in edited
    assert api.callbacks == {}  # the press was answered, once


async def test_broken_rules_reach_the_bot_as_telegrams_errors(harness):
    api, _, bot, _ = harness
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(ANN["id"], "<img src=x>")
    sent = await bot.send_message(ANN["id"], "<b>Tea</b> &amp; cake")
    assert sent.text == "Tea & cake" and sent.entities[0].type == "bold"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "<b>Tea</b> &amp; cake", chat_id=ANN["id"], message_id=sent.message_id
        )
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(ANN["id"], "x" * 4097)
    with pytest.raises(TelegramNotFound):
        await bot(SendDice(chat_id=ANN["id"]))
    photo = await bot.send_photo(ANN["id"], BufferedInputFile(b"png", "tea.png"), caption="Tea")
    assert photo.photo[0].file_id in api.files


async def test_test_friendly_options_open_chats_and_file_ids_and_refuse_a_lone_ampersand(
    settings,
):
    me = {"id": BOT_ID, "is_bot": True, "first_name": "Shop"}
    api = BotApi(me, open_chats=True, open_files=True, strict_ampersand=True)
    bot = create_bot(settings, session=RulesSession(api))
    first = await bot.send_message(77, "Hi")
    second = await bot.send_photo(77, "AgACAgIAAxkBAAI-photo")
    assert (first.message_id, second.message_id) == (1, 2)
    assert second.photo[0].file_id == "AgACAgIAAxkBAAI-photo"
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-5, "groups are not opened")
    with pytest.raises(TelegramBadRequest, match="unescaped '&'"):
        await bot.send_message(77, "Tom & Jerry")
    # As Telegram: no unknown chats, no made-up file ids, a lone '&' is text.
    telegram = BotApi(me)
    telegram.add_chat({"id": 77, "first_name": "Ann"})
    bot = create_bot(settings, session=RulesSession(telegram))
    assert (await bot.send_message(77, "Tom & Jerry")).text == "Tom & Jerry"
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(77, "AgACAgIAAxkBAAI-photo")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(78, "Hi")


async def test_the_tests_fake_api_is_this_session_and_counts_only_the_rules_refusals(settings):
    api = FakeBotAPI()
    bot = create_bot(settings, session=api)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(7, "<b>unclosed")
    with pytest.raises(TelegramNotFound):
        await bot(SendDice(chat_id=7))  # a method the rules don't know is never dropped
    api.hook = lambda method: TelegramBadRequest(method=method, message="Bad Request: flood")
    with pytest.raises(TelegramBadRequest, match="flood"):
        await bot.send_message(7, "Hi")  # the test's own refusal: not Telegram's rules
    api.hook = None
    assert len(api.requests) == 3
    assert [e.message for e in api.unexpected_refusals()] == [
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        "Not Found",
    ]
    api.allow("can't parse entities", "Not Found")
    assert api.unexpected_refusals() == []
    # A message the bot sent before the test began is in the chat, and can be edited.
    old = api.old_message(7)
    edited = await bot.edit_message_text("New", chat_id=7, message_id=old.message_id)
    assert isinstance(edited.edit_date, int) and old.edit_date is None
    [kept] = api.chats[7].values()
    assert (kept.message_id, kept.text, kept.edit_date) == (old.message_id, "New", edited.edit_date)
    assert api.last_message(7) == kept
