"""Async filters for dialog input: cheaper than magic filters (no thread hop)."""

from typing import Any

from aiogram.filters import Filter
from aiogram.types import Message


class TextInput(Filter):
    """A plain text message (not a command); passes it on as `text`, stripped."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        text = message.text
        if text is None or text.startswith("/"):
            return False
        return {"text": text.strip()}


class PhotoInput(Filter):
    """A photo message; passes on the largest size's file id as `file_id`."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        if not message.photo:
            return False
        return {"file_id": message.photo[-1].file_id}


class NotCommand(Filter):
    """Any message but a command: a dialog step's catch-all lets commands through to
    the routers that own them (and unknown ones to the fallback)."""

    async def __call__(self, message: Message) -> bool:
        return not (message.text or "").startswith("/")
