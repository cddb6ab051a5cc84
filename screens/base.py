"""Show a screen: edit the message the button was on, or send a new one.

Telegram can't turn a text message into a photo by editing (or back), and refuses
edits that change nothing; this is the one place that knows.
"""

from dataclasses import dataclass

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, InputMediaPhoto, Message
from aiogram.utils.i18n import gettext

from keyboards.formatting import visible_text
from services.errors import DomainError


@dataclass(slots=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a Telegram file id or an image URL


async def show(event: Message | CallbackQuery, screen: Screen) -> None:
    if isinstance(event, CallbackQuery):
        message = event.message
        if isinstance(message, Message):
            if shows(message, screen) or await _edit(message, screen):
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


def shows(message: Message, screen: Screen) -> bool:
    """Whether `message` already shows `screen` (a double tap, a pager's n/N, Back to
    where one is): then nothing is sent, since Telegram refuses an edit that changes
    nothing ("message is not modified") and the call would cost a round trip."""
    if (screen.photo is not None) != bool(message.photo):
        return False
    shown = message.caption if message.photo else message.text
    return shown == visible_text(screen.text) and _same_buttons(message.reply_markup, screen.markup)


def _same_buttons(shown: object, wanted: InlineKeyboardMarkup | None) -> bool:
    """Button by button: a markup that came with an update is bound to the bot, so
    pydantic's own equality (which compares that too) never holds."""
    if shown is None or wanted is None:
        return shown is wanted
    if not isinstance(shown, InlineKeyboardMarkup):
        return False
    rows, wanted_rows = shown.inline_keyboard, wanted.inline_keyboard
    if [len(r) for r in rows] != [len(r) for r in wanted_rows]:
        return False
    return all(
        a.__dict__ == b.__dict__
        for row, other in zip(rows, wanted_rows, strict=True)
        for a, b in zip(row, other, strict=True)
    )


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
