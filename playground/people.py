"""The people's side of the chats: what they type and press becomes updates for the bot.

Pure state like `playground.botapi`: updates wait in a list until `getUpdates` takes them;
`on_update` hooks learn that one arrived. Every action checks what it refers to (a message
of that chat, a button that exists) and answers `ActionError` otherwise.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from playground.botapi import BotApi
from playground.files import IMAGE_TYPES
from playground.rules import CAPTION_LIMIT, TEXT_LIMIT, BadRequest, format_text
from playground.wire import public_message

CAPTION_INPUT_LIMIT = 1024


class ActionError(Exception):
    """Something the page asked for that can't happen (shown to the person, not raised on)."""


class People:
    def __init__(self, api: BotApi) -> None:
        self.api = api
        self.users: dict[int, dict[str, Any]] = {}
        self.phones: dict[int, str] = {}
        self.updates: list[dict[str, Any]] = []
        self.on_update: list[Callable[[], None]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._charge_ids = itertools.count(1)

    def add(self, user: dict[str, Any], phone: str) -> None:
        self.users[user["id"]] = user
        self.phones[user["id"]] = phone
        self.api.add_chat(user)

    def take(self, offset: int, limit: int = 100) -> list[dict[str, Any]]:
        """getUpdates: updates from `offset` on; those before it are confirmed and dropped."""
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        return self.updates[: max(1, min(limit, 100))]

    def _queue(self, **update: Any) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        for hook in list(self.on_update):
            hook()
        return update

    def _user(self, user_id: int) -> dict[str, Any]:
        user = self.users.get(user_id)
        if user is None:
            raise ActionError("unknown person")
        return user

    def _say(self, user_id: int, **content: Any) -> dict[str, Any]:
        message = self.api.store(user_id, self._user(user_id), **content)
        self._queue(message=public_message(message))
        return message

    # -- messages ------------------------------------------------------------------------

    def send_text(self, user_id: int, text: str) -> dict[str, Any]:
        self._user(user_id)
        try:
            text, entities = format_text(str(text), None, TEXT_LIMIT)
        except BadRequest as exc:
            raise ActionError(exc.description) from None
        self._hide_one_time_keyboard(user_id)
        return self._say(user_id, text=text, entities=entities or None)

    def send_photo(self, user_id: int, data: bytes, mime: str, caption: str = "") -> dict:
        self._user(user_id)
        if not data:
            raise ActionError("the photo is empty")
        if mime not in IMAGE_TYPES:
            raise ActionError("send a PNG, JPEG, GIF or WebP image")
        caption = caption.strip()[:CAPTION_INPUT_LIMIT]
        file_id = self.api.add_file(data=data, mime=mime)
        photo = [{"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 600}]
        return self._say(user_id, photo=photo, caption=caption or None)

    def send_contact(self, user_id: int) -> dict[str, Any]:
        user = self._user(user_id)
        contact = {
            "phone_number": self.phones[user_id],
            "first_name": user["first_name"],
            "user_id": user_id,
        }
        self._hide_one_time_keyboard(user_id)
        return self._say(user_id, contact=contact)

    def _hide_one_time_keyboard(self, user_id: int) -> None:
        log = self.api.chats[user_id]
        if log.keyboard and log.keyboard.get("one_time_keyboard"):
            log.keyboard = None
            self.api.emit(user_id, {"type": "keyboard", "markup": None})

    # -- buttons -------------------------------------------------------------------------

    def _button(self, user_id: int, message_id: int, row: int, column: int) -> tuple[dict, dict]:
        self._user(user_id)
        message = self.api.chats[user_id].messages.get(message_id)
        try:
            rows = (message or {})["reply_markup"]["inline_keyboard"]
            if row < 0 or column < 0:
                raise IndexError
            return message, rows[row][column]
        except (KeyError, IndexError, TypeError):
            raise ActionError("that button is gone") from None

    def press(self, user_id: int, message_id: int, row: int, column: int) -> str:
        """A tap on an inline button that needs the bot; returns what it started."""
        message, button = self._button(user_id, message_id, row, column)
        if "callback_data" in button:
            query_id = f"cq-{next(self._query_ids)}"
            self.api.callbacks[query_id] = user_id
            self._queue(
                callback_query={
                    "id": query_id,
                    "from": self.users[user_id],
                    "chat_instance": str(user_id),
                    "message": public_message(message),
                    "data": button["callback_data"],
                }
            )
            return "callback"
        if button.get("pay") and "invoice" in message:
            self.pay(user_id, message_id)
            return "pay"
        raise ActionError("this button works in the page itself")

    def pay(self, user_id: int, message_id: int) -> None:
        """Pay an invoice: pre-checkout first, and the payment only if the bot says yes."""
        self._user(user_id)
        message = self.api.chats[user_id].messages.get(message_id)
        if message is None or "invoice" not in message:
            raise ActionError("there is no invoice to pay")
        if message.get("_paid"):
            raise ActionError("this invoice is already paid")
        invoice, payload = message["invoice"], message.get("_payload", "")
        query_id = f"pcq-{next(self._query_ids)}"

        def done(ok: bool, error: str | None) -> None:
            if not ok:
                self.api.emit(user_id, {"type": "answer", "text": error or "", "show_alert": True})
                return
            message["_paid"] = True
            self.api.emit(user_id, {"type": "message", "message": message})
            charge = f"stars-charge-{next(self._charge_ids)}"
            self.api.charges[charge] = {"user_id": user_id, **invoice}
            self._say(
                user_id,
                successful_payment={
                    "currency": invoice["currency"],
                    "total_amount": invoice["total_amount"],
                    "invoice_payload": payload,
                    "telegram_payment_charge_id": charge,
                    "provider_payment_charge_id": "",
                },
            )

        self.api.checkouts[query_id] = {"done": done}
        self._queue(
            pre_checkout_query={
                "id": query_id,
                "from": self.users[user_id],
                "currency": invoice["currency"],
                "total_amount": invoice["total_amount"],
                "invoice_payload": payload,
            }
        )

    # -- inline mode ---------------------------------------------------------------------

    def inline_query(self, user_id: int, query: str) -> None:
        user = self._user(user_id)
        query_id = f"iq-{next(self._query_ids)}"
        self.api.inline_queries[query_id] = user_id
        self._queue(
            inline_query={
                "id": query_id,
                "from": user,
                "query": str(query)[:256],
                "offset": "",
                "chat_type": "sender",
            }
        )

    def choose_inline(self, user_id: int, result: Any) -> dict[str, Any]:
        """Post an inline result the bot offered (the page sends it back as it got it)."""
        if not isinstance(result, dict):
            raise ActionError("that result is gone")
        offered = self.api.inline_results.get(user_id, [])
        chosen = next((r for r in offered if r.get("id") == result.get("id")), None)
        if chosen is None:
            raise ActionError("that result is gone")
        if chosen.get("type") == "photo":
            return self._post_photo(user_id, chosen)
        content = chosen["input_message_content"]
        try:
            text, entities = format_text(
                str(content["message_text"]), content.get("parse_mode"), TEXT_LIMIT
            )
        except BadRequest as exc:
            raise ActionError(exc.description) from None
        message = self.api.store(
            user_id,
            self._user(user_id),
            text=text,
            entities=entities or None,
            via_bot=self.api.me,
            reply_markup=chosen.get("reply_markup"),
        )
        return message

    def _post_photo(self, user_id: int, chosen: dict[str, Any]) -> dict[str, Any]:
        try:
            caption, entities = format_text(
                str(chosen.get("caption", "")),
                chosen.get("parse_mode"),
                CAPTION_LIMIT,
                allow_empty=True,
            )
        except BadRequest as exc:
            raise ActionError(exc.description) from None
        return self.api.store(
            user_id,
            self._user(user_id),
            photo=self.api.photo_sizes(str(chosen["photo_file_id"])),
            caption=caption or None,
            caption_entities=entities or None,
            via_bot=self.api.me,
            reply_markup=chosen.get("reply_markup"),
        )
