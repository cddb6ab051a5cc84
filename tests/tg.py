"""A fake Bot API and a user double: drive the real dispatcher, assert on what it sent.

`FakeBotAPI` is the playground's in-process session (`playground.session.RulesSession`)
with a test's extras: it records every call, lets a test override one (`hook`), and
keeps the refusals. Telegram's rules (message ids per chat, edits, deletes, HTML
entities, limits, callback data, a callback answered once...) are the playground's
`playground.rules` / `playground.botapi`, the same ones its Bot API server answers with.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramNotFound
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageText,
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
    PhotoSize,
    Sticker,
    Update,
    User,
)

from playground.botapi import BotApi
from playground.session import RulesSession
from playground.wire import public_message

BOT_ID = 42
BOT_USERNAME = "shop_test_bot"
TOKEN = f"{BOT_ID}:TEST-token-for-the-fake-bot-api"


class FakeBotAPI(RulesSession):
    """Records every call and answers it by Telegram's rules, keeping each chat's messages.

    Test-friendly where Telegram would need more set-up: any user's chat is open, any
    file id is a known file, and a lone `&` is refused (it catches unescaped input)."""

    def __init__(self) -> None:
        self.me = User(id=BOT_ID, is_bot=True, first_name="Shop", username=BOT_USERNAME)
        me = self.me.model_dump(mode="json", exclude_none=True)
        super().__init__(BotApi(me, open_chats=True, open_files=True, strict_ampersand=True))
        self.requests: list[TelegramMethod] = []
        # Returns an exception (raised) or a value (returned) to override a call's result.
        self.hook: Callable[[TelegramMethod], Any] | None = None
        # Every call refused by Telegram's rules (not by a test's hook), and what a test
        # said it expects: the rest fail the test (see conftest's `make_env`). A method
        # the rules don't know (404) counts too: it is never silently dropped.
        self.refusals: list[TelegramBadRequest | TelegramNotFound] = []
        self._allowed: set[str] = set()

    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None):
        self.requests.append(method)
        if self.hook is not None:
            result = self.hook(method)
            if isinstance(result, BaseException):
                raise result
            if result is not None:
                return result
        try:
            return await super().make_request(bot, method, timeout)
        except (TelegramBadRequest, TelegramNotFound) as exc:
            self.refusals.append(exc)
            raise

    def allow(self, *reasons: str) -> None:
        """This test expects Telegram to refuse calls for these reasons (substrings)."""
        self._allowed.update(reasons)

    def unexpected_refusals(self) -> list[TelegramBadRequest | TelegramNotFound]:
        return [e for e in self.refusals if not any(r in e.message for r in self._allowed)]

    # -- the chats as the bot's side sees them -------------------------------------------

    def _bot_messages(self, chat_id: int) -> dict[int, dict[str, Any]]:
        log = self.rules.chats.get(chat_id)
        messages = log.messages if log is not None else {}
        return {i: m for i, m in messages.items() if m["from"]["id"] == BOT_ID}

    def messages(self, chat_id: int) -> dict[int, Message]:
        """The bot's messages in this chat now, by id (as updates would carry them)."""
        return {i: _message(m) for i, m in self._bot_messages(chat_id).items()}

    @property
    def chats(self) -> dict[int, dict[int, Message]]:
        return {chat_id: self.messages(chat_id) for chat_id in self.rules.chats}

    def old_message(self, chat_id: int) -> Message:
        """A message the bot sent this chat long ago (before the test began)."""
        self.rules.add_chat({"id": chat_id, "first_name": ""})
        return _message(self.rules.store(chat_id, self.rules.me, text="(old message)"))

    def last_message(self, chat_id: int) -> Message | None:
        messages = self._bot_messages(chat_id)
        return _message(messages[max(messages)]) if messages else None


def _message(stored: dict[str, Any]) -> Message:
    return Message.model_validate(public_message(stored))


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
        result = await self.dp.feed_update(self.bot, update)
        if isinstance(result, TelegramMethod):  # a webhook reply: Telegram runs it, and
            with contextlib.suppress(TelegramAPIError):  # tells no one how that went
                await self.bot(result)  # (a refusal still counts: see make_env)
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

        Without `message`, the press comes from the latest message the bot sent here that
        can carry the button: not an invoice of its own (its one button is Pay).
        """
        packed = data if isinstance(data, str) else data.pack()
        # With no such message of the bot's in the chat yet, the button is on an old one.
        message = message or self.pressable_message or self.env.api.old_message(self.id)
        query_id = f"cq{self.env.next_id()}"
        self.env.api.rules.callbacks[query_id] = self.id  # for the bot to answer, once
        query = CallbackQuery(
            id=query_id,
            from_user=self.tg,
            chat_instance=f"ci{self.id}",
            message=message,
            data=packed,
        )
        return await self.env.feed(
            Update(update_id=self.env.next_update_id(), callback_query=query)
        )

    @property
    def pressable_message(self) -> Message | None:
        """The latest bot message here that can carry a callback button: not an invoice
        without a keyboard of its own (Telegram gives it a Pay button only)."""
        for message in reversed(self.env.api.messages(self.id).values()):
            if message.invoice is None or message.reply_markup is not None:
                return message
        return None

    def find_button(self, text: str, message: Message | None = None) -> str:
        """The callback data of the button whose label contains `text`."""
        message = message or self.pressable_message
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
        """Press the button labelled `text` on the latest bot message (`pressable_message`)."""
        message = self.pressable_message
        return await self.click(self.find_button(text, message), message)

    async def inline(self, query: str, offset: str = "") -> Reply:
        query_id = f"iq{self.env.next_id()}"
        self.env.api.rules.inline_queries[query_id] = self.id  # for the bot to answer, once
        inline_query = InlineQuery(
            id=query_id,
            from_user=self.tg,
            query=query,
            offset=offset,
        )
        return await self.env.feed(
            Update(update_id=self.env.next_update_id(), inline_query=inline_query)
        )

    # -- payments (orders feature) -------------------------------------------------------------

    async def pre_checkout(self, payload: str, total_amount: int, currency: str = "XTR") -> Reply:
        """Telegram asking the bot whether this invoice may be paid now."""
        from aiogram.types import PreCheckoutQuery

        query_id = f"pcq{self.env.next_id()}"
        # For the bot to answer, once; what the payer then sees is the playground page's.
        self.env.api.rules.checkouts[query_id] = {"done": lambda ok, error: None}
        query = PreCheckoutQuery(
            id=query_id,
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

        # Telegram keeps the charge, so that the bot can refund it (the same id twice is
        # one charge: a redelivered update).
        self.env.api.rules.charges.setdefault(
            charge_id, {"user_id": self.id, "total_amount": total_amount, "currency": currency}
        )
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
