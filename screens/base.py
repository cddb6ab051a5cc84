"""Show a screen: edit the message the button was on, or send a new one.

Telegram can't turn a text message into a photo by editing (or back), and refuses
edits that change nothing; this is the one place that knows.
"""

import logging
from collections import OrderedDict
from dataclasses import dataclass

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, InputMediaPhoto, Message
from aiogram.utils.i18n import gettext

from keyboards.formatting import visible_text
from services.errors import DomainError

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a Telegram file id or an image URL


class Shown:
    """What the bot last put in each message it edited (this process, the latest few
    thousand). A double-tapped button's second press carries the message as it was
    before the first press changed it; this says what it shows now, so the second press
    sends nothing. Trusted only while nobody else edited the message since (its
    `edit_date`, whole seconds, is older than ours; a tie is not trusted)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._last: OrderedDict[tuple[int, int], tuple[Screen, int | None]] = OrderedDict()

    def get(self, message: Message) -> Screen | None:
        found = self._last.get((message.chat.id, message.message_id))
        if found is None:
            return None
        screen, edited = found
        newer = message.edit_date is not None and (edited is None or message.edit_date >= edited)
        return None if newer else screen

    def put(self, message: Message, screen: Screen) -> None:
        """`message`: as the edit left it."""
        key = (message.chat.id, message.message_id)
        self._last[key] = (screen, message.edit_date)
        self._last.move_to_end(key)
        if len(self._last) > self.size:
            self._last.popitem(last=False)


async def show(event: Message | CallbackQuery, screen: Screen) -> None:
    if isinstance(event, CallbackQuery):
        message = event.message
        if isinstance(message, Message):
            memory: Shown | None = getattr(event.bot, "shown", None)
            last = memory.get(message) if memory is not None else None
            if _same(last, screen) if last is not None else shows(message, screen):
                return
            edited = await _edit(message, screen)
            if edited is not None:
                if memory is not None:
                    memory.put(edited, screen)
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


async def tell(event: Message | CallbackQuery, screen: Screen) -> None:
    """`show()` for the reply after a commit ("Order placed"): what was saved stays saved
    when Telegram can't be reached, and the user is not told it failed."""
    try:
        await show(event, screen)
    except TelegramAPIError as exc:
        log.warning("A reply after a commit could not be shown: %s", exc)


def _same(a: Screen, b: Screen) -> bool:
    return a.text == b.text and a.photo == b.photo and _same_buttons(a.markup, b.markup)


def shows(message: Message, screen: Screen) -> bool:
    """Whether `message` already shows `screen` (a double tap, a pager's n/N, Back to
    where one is): then nothing is sent, since Telegram refuses an edit that changes
    nothing ("message is not modified") and the call would cost a round trip."""
    if (screen.photo is not None) != bool(message.photo):
        return False
    if screen.photo is not None and screen.photo not in {p.file_id for p in message.photo or ()}:
        return False  # another picture (an image URL is never known to be the same)
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


async def _edit(message: Message, screen: Screen) -> Message | None:
    """Edits `message` into `screen`; the message as edited (None: it could not be
    edited, and is deleted if it is in the way, so that a new message shows the screen)."""
    has_photo = bool(message.photo)
    try:
        if screen.photo is None and not has_photo:
            done = await message.edit_text(screen.text, reply_markup=screen.markup)
        elif screen.photo is not None and has_photo:
            media = InputMediaPhoto(media=screen.photo, caption=screen.text)
            done = await message.edit_media(media, reply_markup=screen.markup)
        else:
            await _delete(message)
            return None
    except TelegramBadRequest as exc:
        if "not modified" in exc.message:
            return message
        if not any(reason in exc.message for reason in _REPLACEABLE):
            raise  # a screen Telegram refuses as such: keep the old one, let it be reported
        await _delete(message)
        return None
    return done if isinstance(done, Message) else message


async def _delete(message: Message) -> None:
    try:
        await message.delete()
    except TelegramBadRequest:
        pass  # too old to delete (48 h): leaving it is harmless


def domain_message(exc: DomainError) -> str:
    """The error's message in the current language (in the plural form its `count`
    asks for), its parameters filled in."""
    return exc.render(gettext, lambda one, many, n: gettext(one, many, n=n))
