"""The Bot API's side of each chat: messages per chat, edits, deletes, callback answers.

Pure state, no I/O: `BotApi.call(method, params)` answers one Bot API call (params as
the HTTP form carries them: JSON text for nested values) or raises `BadRequest`; every
change a chat's viewer should see is passed to the listeners as an event dict. The
people's side (messages typed, buttons pressed, payments) is in `playground.people`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.bot_settings import BotSettingsMethods
from playground.files import FileMethods
from playground.rules import (
    CAPTION_LIMIT,
    NOT_MODIFIED,
    QUERY_EXPIRED,
    TEXT_LIMIT,
    BadRequest,
    check_callback_answer,
    check_invoice,
    check_reply_markup,
    format_text,
)
from playground.stars import StarsMethods
from playground.wire import decode, public_message

Event = dict[str, Any]
Listener = Callable[[int, Event], None]


class UnknownMethod(Exception):
    """A method the playground does not answer: Telegram would say 404 Not Found."""


@dataclass
class ChatLog:
    chat: dict[str, Any]
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    keyboard: dict[str, Any] | None = None  # the reply keyboard under the input field

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class BotApi(BotSettingsMethods, StarsMethods, FileMethods):
    def __init__(
        self,
        me: dict[str, Any],
        *,
        clock: Callable[[], float] = time.time,
        open_chats: bool = False,
        open_files: bool = False,
        strict_ampersand: bool = False,
        file_dir: Path | None = None,
    ) -> None:
        self.me = me
        self.clock = clock
        # Tests' users write first without being added: any positive id is then a chat.
        self.open_chats = open_chats
        # Tests' rows carry made-up file ids: any id is then a file Telegram knows.
        self.open_files = open_files
        # Refuse a lone '&' (Telegram takes it as text): catches input that was not escaped.
        self.strict_ampersand = strict_ampersand
        self.chats: dict[int, ChatLog] = {}
        self.listeners: list[Listener] = []
        # Command menus by (scope, language): bot_settings.menu_for picks a chat's.
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.files: dict[str, dict[str, Any]] = {}  # file_id -> {"url"} or {"data", "mime"}
        self.callbacks: dict[str, int] = {}  # open callback query id -> chat id
        self.inline_queries: dict[str, int] = {}  # open inline query id -> chat id
        self.inline_results: dict[int, list[dict[str, Any]]] = {}  # chat id -> last offered
        self.checkouts: dict[str, dict[str, Any]] = {}  # open pre-checkout id -> the invoice
        self.charges: dict[str, dict[str, Any]] = {}  # Stars payment charge id -> payment
        self._file_ids = itertools.count(1)
        self.file_dir = file_dir  # uploads kept across restarts (None: this run's only)

    # -- chats ---------------------------------------------------------------------------

    def add_chat(self, user: dict[str, Any]) -> ChatLog:
        """The private chat with `user` (a Bot API User dict), made on first use."""
        log = self.chats.get(user["id"])
        if log is None:
            chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            if user.get("username"):
                chat["username"] = user["username"]
            log = self.chats[user["id"]] = ChatLog(chat)
        return log

    def emit(self, chat_id: int, event: Event) -> None:
        for listener in list(self.listeners):
            listener(chat_id, event)

    def store(self, chat_id: int, sender: dict[str, Any], **content: Any) -> dict[str, Any]:
        log = self.chats[chat_id]
        message = {
            "message_id": log.new_id(),
            "date": int(self.clock()),
            "chat": log.chat,
            "from": sender,
            **{k: v for k, v in content.items() if v is not None},
        }
        log.messages[message["message_id"]] = message
        self.emit(chat_id, {"type": "message", "message": message})
        return message

    def _format(
        self, text: str, parse_mode: str | None, limit: int, *, allow_empty: bool = False
    ) -> tuple[str, list[dict[str, Any]]]:
        return format_text(
            text, parse_mode, limit, allow_empty=allow_empty, strict_ampersand=self.strict_ampersand
        )

    # -- calls ---------------------------------------------------------------------------

    def call(self, method: str, params: dict[str, Any]) -> Any:
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            raise UnknownMethod(method)
        return handler(decode(params))

    def _chat(self, params: dict[str, Any]) -> ChatLog:
        try:
            chat_id = int(params.get("chat_id", 0))
        except (TypeError, ValueError):
            chat_id = 0
        log = self.chats.get(chat_id)
        if log is None and self.open_chats and chat_id > 0:
            log = self.add_chat({"id": chat_id, "first_name": ""})
        if log is None:
            raise BadRequest("chat not found")
        return log

    def _own(self, params: dict[str, Any], action: str = "edit") -> tuple[ChatLog, dict]:
        if "inline_message_id" in params:
            raise BadRequest("the playground keeps no inline messages")
        log = self._chat(params)
        try:
            message = log.messages.get(int(params.get("message_id", 0)))
        except (TypeError, ValueError):
            message = None
        if message is None:
            raise BadRequest(f"message to {action} not found")
        if action == "edit" and message["from"]["id"] != self.me["id"]:
            raise BadRequest("message can't be edited")
        return log, message

    def _markup(self, log: ChatLog, params: dict[str, Any]) -> dict[str, Any] | None:
        """The inline keyboard a message keeps; a reply keyboard goes under the input."""
        markup = check_reply_markup(params.get("reply_markup"))
        if markup is None or "inline_keyboard" in markup:
            return markup
        if markup.get("remove_keyboard"):
            log.keyboard = None
        elif "keyboard" in markup:
            log.keyboard = markup
        self.emit(log.chat["id"], {"type": "keyboard", "markup": log.keyboard})
        return None

    def _m_sendmessage(self, params: dict) -> dict:
        log = self._chat(params)
        text, entities = self._format(
            str(params.get("text", "")), params.get("parse_mode"), TEXT_LIMIT
        )
        markup = self._markup(log, params)
        return self.store(
            log.chat["id"], self.me, text=text, entities=entities or None, reply_markup=markup
        )

    def _m_sendphoto(self, params: dict) -> dict:
        log = self._chat(params)
        caption, entities = self._format(
            str(params.get("caption", "")),
            params.get("parse_mode"),
            CAPTION_LIMIT,
            allow_empty=True,
        )
        photo = self.photo_sizes(str(params.get("photo", "")))
        markup = self._markup(log, params)
        return self.store(
            log.chat["id"],
            self.me,
            photo=photo,
            caption=caption or None,
            caption_entities=entities or None,
            reply_markup=markup,
        )

    def _m_copymessage(self, params: dict) -> dict:
        log = self._chat(params)
        source = self._own({"chat_id": params.get("from_chat_id"), **params}, "copy")[1]
        content = {
            k: source[k]
            for k in ("text", "entities", "photo", "caption", "caption_entities")
            if k in source
        }
        copy = self.store(
            log.chat["id"], self.me, **content, reply_markup=self._markup(log, params)
        )
        return {"message_id": copy["message_id"]}

    def _m_sendinvoice(self, params: dict) -> dict:
        log = self._chat(params)
        invoice = check_invoice(params)
        message = self.store(
            log.chat["id"], self.me, invoice=invoice, reply_markup=self._markup(log, params)
        )
        # Telegram keeps the payload to put it in the payment updates.
        message["_payload"] = params["payload"]
        return public_message(message)

    def _m_editmessagetext(self, params: dict) -> dict:
        log, old = self._own(params)
        if "text" not in old:
            raise BadRequest("there is no text in the message to edit")
        text, entities = self._format(
            str(params.get("text", "")), params.get("parse_mode"), TEXT_LIMIT
        )
        new = {"text": text, "entities": entities or None}
        return self._edit(log, old, new, params, ("text", "entities"))

    def _m_editmessagecaption(self, params: dict) -> dict:
        log, old = self._own(params)
        if "photo" not in old:
            raise BadRequest("there is no caption in the message to edit")
        caption, entities = self._format(
            str(params.get("caption", "")),
            params.get("parse_mode"),
            CAPTION_LIMIT,
            allow_empty=True,
        )
        new = {"caption": caption or None, "caption_entities": entities or None}
        return self._edit(log, old, new, params, ("caption", "caption_entities"))

    def _m_editmessagemedia(self, params: dict) -> dict:
        log, old = self._own(params)
        media = params.get("media")
        if "photo" not in old:
            raise BadRequest("there is no media in the message to edit")
        if not isinstance(media, dict) or media.get("type") != "photo":
            raise BadRequest("the playground edits photos only")
        caption, entities = self._format(
            str(media.get("caption", "")), media.get("parse_mode"), CAPTION_LIMIT, allow_empty=True
        )
        ref = str(media.get("media", ""))
        same = ref == old["photo"][0]["file_id"] or self.file_info(old["photo"][0]["file_id"]) == {
            "url": ref
        }
        photo = old["photo"] if same else self.photo_sizes(ref)
        new = {"photo": photo, "caption": caption or None, "caption_entities": entities or None}
        return self._edit(log, old, new, params, ("photo", "caption", "caption_entities"))

    def _m_editmessagereplymarkup(self, params: dict) -> dict:
        log, old = self._own(params)
        return self._edit(log, old, {}, params, ())

    def _edit(self, log: ChatLog, old: dict, new: dict, params: dict, keys: tuple) -> dict:
        markup = check_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise BadRequest("an edited message can carry an inline keyboard only")
        if all(old.get(k) == new.get(k) for k in keys) and old.get("reply_markup") == markup:
            raise BadRequest(NOT_MODIFIED)
        edited = {k: v for k, v in old.items() if k not in (*keys, "reply_markup")}
        edited.update({k: v for k, v in new.items() if v is not None})
        if markup is not None:
            edited["reply_markup"] = markup
        edited["edit_date"] = int(self.clock())
        log.messages[old["message_id"]] = edited
        self.emit(log.chat["id"], {"type": "message", "message": edited})
        return public_message(edited)

    def _m_deletemessage(self, params: dict) -> bool:
        log, message = self._own(params, "delete")
        del log.messages[message["message_id"]]
        self.emit(log.chat["id"], {"type": "delete", "message_id": message["message_id"]})
        return True

    def _m_answercallbackquery(self, params: dict) -> bool:
        chat_id = self.callbacks.pop(str(params.get("callback_query_id", "")), None)
        if chat_id is None:
            raise BadRequest(QUERY_EXPIRED)
        text = params.get("text")
        check_callback_answer(text)
        alert = params.get("show_alert") in (True, "true", "True", "1")
        self.emit(chat_id, {"type": "answer", "text": text or "", "show_alert": alert})
        return True

    def _m_answerinlinequery(self, params: dict) -> bool:
        chat_id = self.inline_queries.pop(str(params.get("inline_query_id", "")), None)
        if chat_id is None:
            raise BadRequest(QUERY_EXPIRED)
        results = params.get("results")
        if not isinstance(results, list) or len(results) > 50:
            raise BadRequest("RESULTS_TOO_MUCH")
        for result in results:
            if isinstance(result, dict) and result.get("type") == "photo":
                # A cached photo: posted as that photo with its caption.
                self.photo_sizes(str(result.get("photo_file_id", "")))
                caption = str(result.get("caption", ""))
                self._format(caption, result.get("parse_mode"), CAPTION_LIMIT, allow_empty=True)
                check_reply_markup(result.get("reply_markup"))
                continue
            content = result.get("input_message_content") if isinstance(result, dict) else None
            if not isinstance(content, dict) or "message_text" not in content:
                raise BadRequest("the playground shows article results with a text, or photos")
            self._format(str(content["message_text"]), content.get("parse_mode"), TEXT_LIMIT)
            check_reply_markup(result.get("reply_markup"))
        self.inline_results[chat_id] = results
        self.emit(chat_id, {"type": "inline_results", "results": results})
        return True

    def _m_answerprecheckoutquery(self, params: dict) -> bool:
        checkout = self.checkouts.pop(str(params.get("pre_checkout_query_id", "")), None)
        if checkout is None:
            raise BadRequest(QUERY_EXPIRED)
        ok = params.get("ok") in (True, "true", "True", "1")
        if not ok and not params.get("error_message"):
            raise BadRequest("error_message is required when ok is false")
        checkout["done"](ok, params.get("error_message"))
        return True

    def _m_senddocument(self, params: dict) -> dict:
        log = self._chat(params)
        caption, entities = self._format(
            str(params.get("caption", "")),
            params.get("parse_mode"),
            CAPTION_LIMIT,
            allow_empty=True,
        )
        ref = str(params.get("document", ""))
        info = self.file_info(ref)
        if info is None and not self.open_files:
            raise BadRequest("wrong file identifier/HTTP URL specified")
        info = info or {}
        document = {
            "file_id": ref,
            "file_unique_id": ref,
            "file_name": info.get("name") or "file",
            "mime_type": info.get("mime") or "application/octet-stream",
            "file_size": len(info.get("data") or b""),
        }
        return self.store(
            log.chat["id"],
            self.me,
            document=document,
            caption=caption or None,
            caption_entities=entities or None,
            reply_markup=self._markup(log, params),
        )
