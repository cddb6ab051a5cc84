"""A fake Bot API and a user double: drive the real dispatcher, assert on what it sent.

`FakeBotAPI` is an aiogram session that never touches the network. It keeps each
chat's messages, so edits, deletes and photo/text switches behave as Telegram's do,
and it refuses what Telegram refuses (bad HTML, over-long texts, oversize callback
data, editing a photo as text, answering a callback twice) with the same 400 errors.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerInlineQuery,
    AnswerPreCheckoutQuery,
    CopyMessage,
    DeleteMessage,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendInvoice,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    InlineKeyboardMarkup,
    InlineQuery,
    Message,
    MessageId,
    PhotoSize,
    Sticker,
    Update,
    User,
)

BOT_ID = 42
BOT_USERNAME = "shop_test_bot"
TOKEN = f"{BOT_ID}:TEST-token-for-the-fake-bot-api"
_ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def bad_request(method: TelegramMethod, text: str) -> TelegramBadRequest:
    return TelegramBadRequest(method=method, message=f"Bad Request: {text}")


class _HtmlChecker(HTMLParser):
    """Parses like Telegram's HTML mode: known tags only, balanced, entities escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.visible: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            self.error = f'can\'t parse entities: unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = f"can't parse entities: can't find end tag corresponding to \"{tag}\""

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def visible_text(method: TelegramMethod, html: str) -> str:
    """The text a user would see; raises as Telegram does for malformed HTML."""
    bare = _ENTITY.sub("", html)
    if "&" in bare:
        raise bad_request(method, "can't parse entities: unescaped '&'")
    checker = _HtmlChecker()
    checker.feed(html)
    checker.close()
    if checker.error or checker.stack or checker.rawdata:
        raise bad_request(method, checker.error or "can't parse entities: unclosed tag")
    return "".join(checker.visible)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeBotAPI(BaseSession):
    """Records every call; answers plausibly; keeps the messages of each chat."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod] = []
        self.chats: dict[int, dict[int, Message]] = {}
        # Returns an exception (raised) or a value (returned) to override a call's result.
        self.hook: Callable[[TelegramMethod], Any] | None = None
        self._ids = itertools.count(1)
        self._answered: set[str] = set()
        # Every call refused by Telegram's rules (not by a test's hook), and what a test
        # said it expects: the rest fail the test (see conftest's `make_env`).
        self.refusals: list[TelegramBadRequest] = []
        self._allowed: set[str] = set()
        self.me = User(id=BOT_ID, is_bot=True, first_name="Shop", username=BOT_USERNAME)

    async def close(self) -> None:
        pass

    async def stream_content(self, *args: Any, **kwargs: Any):  # pragma: no cover
        raise NotImplementedError
        yield b""

    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None):
        self.requests.append(method)
        if self.hook is not None:
            result = self.hook(method)
            if isinstance(result, BaseException):
                raise result
            if result is not None:
                return result
        try:
            return self._answer(method)
        except TelegramBadRequest as exc:
            self.refusals.append(exc)
            raise

    def allow(self, *reasons: str) -> None:
        """This test expects Telegram to refuse calls for these reasons (substrings)."""
        self._allowed.update(reasons)

    def unexpected_refusals(self) -> list[TelegramBadRequest]:
        return [e for e in self.refusals if not any(r in e.message for r in self._allowed)]

    # -- what Telegram would say ---------------------------------------------------------

    def _answer(self, method: TelegramMethod) -> Any:
        if isinstance(method, GetMe):
            return self.me
        if isinstance(method, SendMessage):
            text = self._text(method, method.text, 4096, method.parse_mode)
            self._check_markup(method, method.reply_markup)
            # A reply keyboard (or its removal) is not part of the message Telegram returns.
            inline = (
                method.reply_markup
                if isinstance(method.reply_markup, InlineKeyboardMarkup)
                else None
            )
            return self._new(method.chat_id, text=text, reply_markup=inline)
        if isinstance(method, SendPhoto):
            caption = self._text(method, method.caption or "", 1024, method.parse_mode)
            self._check_markup(method, method.reply_markup)
            return self._new(
                method.chat_id,
                caption=caption or None,
                photo=self._photo(method.photo),
                reply_markup=method.reply_markup,
            )
        if isinstance(method, SendInvoice):
            self._check_markup(method, method.reply_markup)
            return self._new(method.chat_id, text=method.title, reply_markup=method.reply_markup)
        if isinstance(method, CopyMessage):
            copied = self._new(method.chat_id, text="(copy)", reply_markup=method.reply_markup)
            return MessageId(message_id=copied.message_id)
        if isinstance(method, EditMessageText):
            old = self._existing(method, method.chat_id, method.message_id)
            if old.text is None:
                raise bad_request(method, "there is no text in the message to edit")
            text = self._text(method, method.text, 4096, method.parse_mode)
            self._check_markup(method, method.reply_markup)
            if text == old.text and method.reply_markup == old.reply_markup:
                raise bad_request(method, "message is not modified")
            return self._replace(old, text=text, reply_markup=method.reply_markup)
        if isinstance(method, EditMessageCaption):
            old = self._existing(method, method.chat_id, method.message_id)
            if not old.photo:
                raise bad_request(method, "there is no caption in the message to edit")
            caption = self._text(method, method.caption or "", 1024, method.parse_mode)
            self._check_markup(method, method.reply_markup)
            return self._replace(old, caption=caption, reply_markup=method.reply_markup)
        if isinstance(method, EditMessageMedia):
            old = self._existing(method, method.chat_id, method.message_id)
            if not old.photo:
                raise bad_request(method, "there is no media in the message to edit")
            media = method.media
            caption = self._text(method, media.caption or "", 1024, media.parse_mode)
            self._check_markup(method, method.reply_markup)
            return self._replace(
                old,
                caption=caption,
                photo=self._photo(media.media),
                reply_markup=method.reply_markup,
            )
        if isinstance(method, EditMessageReplyMarkup):
            old = self._existing(method, method.chat_id, method.message_id)
            self._check_markup(method, method.reply_markup)
            return self._replace(old, reply_markup=method.reply_markup)
        if isinstance(method, DeleteMessage):
            self._existing(method, method.chat_id, method.message_id)
            del self.chats[method.chat_id][method.message_id]
            return True
        if isinstance(method, AnswerCallbackQuery):
            if method.callback_query_id in self._answered:
                raise bad_request(
                    method, "query is too old and response timeout expired or query ID is invalid"
                )
            if method.text and len(method.text) > 200:
                raise bad_request(method, "MESSAGE_TOO_LONG")
            self._answered.add(method.callback_query_id)
            return True
        if isinstance(method, AnswerInlineQuery):
            for result in method.results:
                self._check_markup(method, getattr(result, "reply_markup", None))
            return True
        if isinstance(method, AnswerPreCheckoutQuery):
            return True
        returning = getattr(method, "__returning__", None)
        if returning is bool:
            return True
        raise NotImplementedError(f"FakeBotAPI has no answer for {type(method).__name__} yet")

    def _text(self, method: TelegramMethod, text: str, limit: int, parse_mode: Any) -> str:
        mode = parse_mode if isinstance(parse_mode, str) else "HTML"
        shown = visible_text(method, text) if mode.upper() == "HTML" else text
        if _utf16_len(shown) > limit:
            raise bad_request(
                method, "message is too long" if limit == 4096 else "message caption is too long"
            )
        if not shown.strip() and limit == 4096:
            raise bad_request(method, "message text is empty")
        return shown

    @staticmethod
    def _check_markup(method: TelegramMethod, markup: Any) -> None:
        if not isinstance(markup, InlineKeyboardMarkup):
            return
        for row in markup.inline_keyboard:
            for btn in row:
                if not btn.text:
                    raise bad_request(method, "text buttons are unallowed in the inline keyboard")
                if btn.callback_data is not None and not (
                    1 <= len(btn.callback_data.encode()) <= 64
                ):
                    raise bad_request(method, "BUTTON_DATA_INVALID")

    @staticmethod
    def _photo(photo: Any) -> list[PhotoSize]:
        file_id = photo if isinstance(photo, str) else "uploaded-photo"
        return [PhotoSize(file_id=file_id, file_unique_id=file_id[:16], width=800, height=600)]

    def _new(self, chat_id: int | str, **fields: Any) -> Message:
        chat_id = int(chat_id)
        message = Message(
            message_id=next(self._ids),
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private"),
            from_user=self.me,
            **fields,
        )
        self.chats.setdefault(chat_id, {})[message.message_id] = message
        return message

    def _existing(self, method: TelegramMethod, chat_id: Any, message_id: Any) -> Message:
        message = self.chats.get(int(chat_id or 0), {}).get(message_id or 0)
        if message is None:
            raise bad_request(method, "message to edit not found")
        return message

    def _replace(self, old: Message, **fields: Any) -> Message:
        new = old.model_copy(update={**fields, "edit_date": int(datetime.now(UTC).timestamp())})
        self.chats[old.chat.id][old.message_id] = new
        return new

    def old_message(self, chat_id: int) -> Message:
        """A message the bot sent this chat long ago (before the test began)."""
        return self._new(chat_id, text="(old message)")

    def last_message(self, chat_id: int) -> Message | None:
        messages = self.chats.get(chat_id, {})
        return messages[max(messages)] if messages else None


@dataclass
class Reply:
    """The Bot API calls one update caused."""

    calls: list[TelegramMethod]

    def of(self, *types: type) -> list[Any]:
        return [c for c in self.calls if isinstance(c, types)]

    @property
    def texts(self) -> list[str]:
        out = []
        for c in self.calls:
            if isinstance(c, SendMessage | EditMessageText):
                out.append(c.text)
            elif isinstance(c, SendPhoto | EditMessageCaption):
                out.append(c.caption or "")
            elif isinstance(c, EditMessageMedia):
                out.append(c.media.caption or "")
        return out

    @property
    def text(self) -> str:
        """The last text or caption sent or edited ('' when none)."""
        return self.texts[-1] if self.texts else ""

    @property
    def markup(self) -> InlineKeyboardMarkup | None:
        for c in reversed(self.calls):
            markup = getattr(c, "reply_markup", None)
            if markup is not None or isinstance(c, SendMessage | EditMessageText | SendPhoto):
                return markup
        return None

    @property
    def buttons(self) -> list[str]:
        markup = self.markup
        if not isinstance(markup, InlineKeyboardMarkup):
            return []
        return [b.text for row in markup.inline_keyboard for b in row]

    def has_button(self, label: str) -> bool:
        """Whether a button of the last keyboard has `label` in its text."""
        return any(label in b for b in self.buttons)

    @property
    def alert(self) -> str | None:
        """The text of the callback answer, if any."""
        answers = self.of(AnswerCallbackQuery)
        return answers[-1].text if answers else None


class BotEnv:
    """A dispatcher, a bot on the fake API and a way to make users."""

    def __init__(self, dp: Dispatcher, bot: Bot, api: FakeBotAPI) -> None:
        self.dp = dp
        self.bot = bot
        self.api = api
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)

    def user(self, user_id: int, first_name: str = "Ann", **kwargs: Any) -> TgUser:
        return TgUser(self, user_id, first_name, **kwargs)

    async def feed(self, update: Update) -> Reply:
        start = len(self.api.requests)
        await self.dp.feed_update(self.bot, update)
        return Reply(self.api.requests[start:])

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def next_id(self) -> int:
        return next(self._ids)


class TgUser:
    """Someone writing to the bot in a private chat."""

    def __init__(
        self,
        env: BotEnv,
        user_id: int,
        first_name: str = "Ann",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> None:
        self.env = env
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code

    @property
    def tg(self) -> User:
        return User(
            id=self.id,
            is_bot=False,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            language_code=self.language_code,
        )

    @property
    def chat(self) -> Chat:
        return Chat(id=self.id, type="private", first_name=self.first_name)

    def _message(self, **fields: Any) -> Message:
        return Message(
            message_id=100_000 + self.env.next_id(),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.tg,
            **fields,
        )

    async def send_message(self, **fields: Any) -> Reply:
        update = Update(update_id=self.env.next_update_id(), message=self._message(**fields))
        return await self.env.feed(update)

    async def send(self, text: str) -> Reply:
        return await self.send_message(text=text)

    async def send_photo(self, file_id: str = "AgACAgIAAxkBAAI-photo", caption: str | None = None):
        photo = [PhotoSize(file_id=file_id, file_unique_id=file_id[-16:], width=800, height=600)]
        return await self.send_message(photo=photo, caption=caption)

    async def send_sticker(self) -> Reply:
        sticker = Sticker(
            file_id="CAACAgIAAxkBAAI-sticker",
            file_unique_id="stk",
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
        )
        return await self.send_message(sticker=sticker)

    async def send_contact(self, phone: str, own: bool = True) -> Reply:
        contact = Contact(
            phone_number=phone, first_name=self.first_name, user_id=self.id if own else self.id + 1
        )
        return await self.send_message(contact=contact)

    @property
    def last_bot_message(self) -> Message | None:
        return self.env.api.last_message(self.id)

    @property
    def shown_text(self) -> str:
        """What the chat's latest bot message says now (a press that would not change
        it sends nothing, so the reply itself may hold no text)."""
        message = self.last_bot_message
        return (message.text or message.caption or "") if message else ""

    @property
    def shown_buttons(self) -> list[str]:
        message = self.last_bot_message
        markup = message.reply_markup if message else None
        if not isinstance(markup, InlineKeyboardMarkup):
            return []
        return [b.text for row in markup.inline_keyboard for b in row]

    async def click(self, data: CallbackData | str, message: Message | None = None) -> Reply:
        """Press a button with this callback data (forged or real) on `message`.

        Without `message`, the press comes from the latest message the bot sent here.
        """
        packed = data if isinstance(data, str) else data.pack()
        # With no message of the bot's in the chat yet, the button is on an old one.
        message = message or self.last_bot_message or self.env.api.old_message(self.id)
        query = CallbackQuery(
            id=f"cq{self.env.next_id()}",
            from_user=self.tg,
            chat_instance=f"ci{self.id}",
            message=message,
            data=packed,
        )
        return await self.env.feed(
            Update(update_id=self.env.next_update_id(), callback_query=query)
        )

    def find_button(self, text: str, message: Message | None = None) -> str:
        """The callback data of the button whose label contains `text`."""
        message = message or self.last_bot_message
        markup = message.reply_markup if message else None
        if not isinstance(markup, InlineKeyboardMarkup):
            raise AssertionError(f"the last message has no inline keyboard: {message}")
        labels = []
        for row in markup.inline_keyboard:
            for btn in row:
                labels.append(btn.text)
                if text in btn.text and btn.callback_data is not None:
                    return btn.callback_data
        raise AssertionError(f"no button with {text!r}; buttons: {labels}")

    async def press(self, text: str) -> Reply:
        """Press the button labelled `text` on the latest bot message."""
        message = self.last_bot_message
        return await self.click(self.find_button(text, message), message)

    async def inline(self, query: str, offset: str = "") -> Reply:
        inline_query = InlineQuery(
            id=f"iq{self.env.next_id()}", from_user=self.tg, query=query, offset=offset
        )
        return await self.env.feed(
            Update(update_id=self.env.next_update_id(), inline_query=inline_query)
        )

    # -- payments (orders feature) -------------------------------------------------------------

    async def pre_checkout(self, payload: str, total_amount: int, currency: str = "XTR") -> Reply:
        """Telegram asking the bot whether this invoice may be paid now."""
        from aiogram.types import PreCheckoutQuery

        query = PreCheckoutQuery(
            id=f"pcq{self.env.next_id()}",
            from_user=self.tg,
            currency=currency,
            total_amount=total_amount,
            invoice_payload=payload,
        )
        return await self.env.feed(
            Update(update_id=self.env.next_update_id(), pre_checkout_query=query)
        )

    async def pay(
        self,
        payload: str,
        total_amount: int,
        currency: str = "XTR",
        charge_id: str = "tg-charge-1",
        provider_charge_id: str = "",
    ) -> Reply:
        """The successful_payment message Telegram sends after the money moved."""
        from aiogram.types import SuccessfulPayment

        payment = SuccessfulPayment(
            currency=currency,
            total_amount=total_amount,
            invoice_payload=payload,
            telegram_payment_charge_id=charge_id,
            provider_payment_charge_id=provider_charge_id,
        )
        return await self.send_message(successful_payment=payment)


def forged(cb_class: type[CallbackData], **fields: Any) -> str:
    """Callback data a client could craft, unchecked: e.g. ids no real button carries."""
    return cb_class.model_construct(**fields).pack()
