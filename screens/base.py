"""Show a screen: edit the message the button was on, or send a new one.

Telegram can't turn a text message into a photo by editing (or back), and refuses
edits that change nothing; this is the one place that knows.
"""

from dataclasses import dataclass

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, InputMediaPhoto, Message
from aiogram.utils.i18n import gettext

from services.errors import DomainError


@dataclass(slots=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a Telegram file id or an image URL


async def show(event: Message | CallbackQuery, screen: Screen) -> None:
    if isinstance(event, CallbackQuery):
        message = event.message
        if isinstance(message, Message) and await _edit(message, screen):
            return
        if message is None:
            return
        target = message
    else:
        target = event
    if screen.photo is not None:
        try:
            await target.answer_photo(screen.photo, caption=screen.text, reply_markup=screen.markup)
            return
        except TelegramBadRequest:
            pass  # a photo Telegram can no longer fetch: the text still goes out
    await target.answer(screen.text, reply_markup=screen.markup)


# Edits that fail because of the message, not the screen: a new message shows it instead.
_REPLACEABLE = ("can't be edited", "not found", "no text in the message", "no media", "no caption")


async def _edit(message: Message, screen: Screen) -> bool:
    has_photo = bool(message.photo)
    try:
        if screen.photo is None and not has_photo:
            await message.edit_text(screen.text, reply_markup=screen.markup)
        elif screen.photo is not None and has_photo:
            media = InputMediaPhoto(media=screen.photo, caption=screen.text)
            await message.edit_media(media, reply_markup=screen.markup)
        else:
            await _delete(message)
            return False
    except TelegramBadRequest as exc:
        if "not modified" in exc.message:
            return True
        if not any(reason in exc.message for reason in _REPLACEABLE):
            raise  # a screen Telegram refuses as such: keep the old one, let it be reported
        await _delete(message)
        return False
    return True


async def _delete(message: Message) -> None:
    try:
        await message.delete()
    except TelegramBadRequest:
        pass  # too old to delete (48 h): leaving it is harmless


def domain_message(exc: DomainError) -> str:
    """The error's message in the current language, its parameters filled in."""
    text = gettext(exc.message)
    return text.format(**exc.params) if exc.params else text
