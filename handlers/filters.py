"""Filters of the routers: dialog input (async, cheaper than magic filters: no thread
hop) and the role gate set once on the admin and seller routers."""

import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from handlers.states import ALBUM_TAKEN, DIALOG, end_dialog, leave_dialog
from models import Role, User


class TextInput(Filter):
    """A plain text message (not a command); passes it on as `text`, stripped."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        text = message.text
        if text is None or text.startswith("/"):
            return False
        return {"text": text.strip()}


class SecretInput(Filter):
    """Any text, one that starts with "/" included (a password may), except a command
    one of the routers handles (as its own `Command` filter decides: case, the bot's
    @username); passes it on as `text`, as sent."""

    strip = False

    async def __call__(
        self, message: Message, bot: Bot, dispatcher: Router
    ) -> bool | dict[str, Any]:
        text = message.text
        if text is None:
            return False
        if text.startswith("/"):
            for command in _commands(dispatcher):
                if await command(message, bot):
                    return False
        return {"text": text.strip() if self.strip else text}


class CommentInput(SecretInput):
    """Free text for a comment or a reply, which may well start with "/" ("/10 would
    buy again"): as SecretInput, stripped."""

    strip = True


_known: "weakref.WeakKeyDictionary[Router, tuple[Command, ...]]" = weakref.WeakKeyDictionary()


def _commands(root: Router) -> tuple[Command, ...]:
    """The `Command` filters of the message handlers under `root`."""
    if root not in _known:
        _known[root] = tuple(
            f.callback
            for router in root.chain_tail
            for handler in router.message.handlers
            for f in handler.filters or ()
            if isinstance(f.callback, Command)
        )
    return _known[root]


class ContactInput(Filter):
    """A shared contact; passes it on as `contact`."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        return {"contact": message.contact} if message.contact is not None else False


class PhotoInput(Filter):
    """A photo message; passes on the largest size's file id as `file_id`."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        if not message.photo:
            return False
        return {"file_id": message.photo[-1].file_id}


class AlbumRest(Filter):
    """A photo of an album past its first: Telegram sends each photo of an album as a
    message of its own, and the first is handled as any message (a step takes it, or
    says what fits there), so the rest need no answer. Passes no message with no album;
    the first of one is noted (ALBUM_TAKEN) and let through."""

    async def __call__(self, message: Message, state: FSMContext) -> bool:
        album = message.media_group_id
        if album is None:
            return False
        if (await state.get_data()).get(ALBUM_TAKEN) == album:
            return True
        await state.update_data({ALBUM_TAKEN: album})
        return False


class SameDialog(Filter):
    """A press carrying the dialog it was shown in (`dialog`) that is still the one on:
    else it falls through to "out of date" (see handlers.states.DIALOG). `old_buttons`:
    a button without one (0: sent before the class carried it) is taken too, as then."""

    def __init__(self, *, old_buttons: bool = False) -> None:
        self.old_buttons = old_buttons

    async def __call__(self, query: CallbackQuery, callback_data: Any, state: FSMContext) -> bool:
        if self.old_buttons and not callback_data.dialog:
            return True
        return callback_data.dialog == (await state.get_data()).get(DIALOG, 0)


class AtStep(SameDialog):
    """A dialog step's button pressed at the step (`at`: its state's name) and in the
    dialog (`dialog`) it was shown in; else it falls through to "out of date". A button
    sent before the classes carried them (`at` empty) is taken where its handler's state
    filter lets it, as it was then (Publish, Create and Save: in their dialog)."""

    def __init__(self) -> None:
        super().__init__(old_buttons=True)

    async def __call__(  # type: ignore[override]
        self, query: CallbackQuery, callback_data: Any, state: FSMContext, raw_state: str | None
    ) -> bool:
        if callback_data.at and (raw_state or "").rpartition(":")[2] != callback_data.at:
            return False
        return await super().__call__(query, callback_data, state)


class NotCommand(Filter):
    """Any message but a command: a dialog step's catch-all lets commands through to
    the routers that own them (and unknown ones to the fallback)."""

    async def __call__(self, message: Message) -> bool:
        return not (message.text or "").startswith("/")


class RoleGate(BaseMiddleware):
    """Lets a matched handler run only for the given roles; others hear "not allowed".

    Set once on a router (`protect`), so every command, button and dialog step of the
    admin or seller panel is checked against the role stored in the database now.
    Refusing a step of one of the panel's dialogs also ends the dialog: a user demoted
    mid-dialog is not held in it, and their next message is handled as usual.
    """

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("user")
        if user is not None and user.role in self.roles:
            return await handler(event, data)
        state: FSMContext | None = data.get("state")
        if state is not None and data.get("raw_state") and await _dialog_step(event, data):
            await end_dialog(state)
        text = _("Not allowed.")
        if isinstance(event, CallbackQuery):
            data["callback_answer"].text = text
            data["callback_answer"].show_alert = True
        elif isinstance(event, Message):
            await event.answer(text)
        return None


async def _dialog_step(event: TelegramObject, data: dict[str, Any]) -> bool:
    """The matched handler is a dialog step: it runs only in certain states (a handler
    for any state, such as a command, leaves another feature's dialog alone)."""
    for item in getattr(data.get("handler"), "filters", None) or ():
        check = item.callback
        if isinstance(check, StateFilter) and not await check(event, raw_state=None):
            return True
    return False


class LeavesDialog(BaseMiddleware):
    """A button that is no dialog's step takes the user elsewhere: a dialog left open
    (a name prompt scrolled past, then an old message's button pressed) ends before the
    button runs, so the next text is not taken as that dialog's answer."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        if state is not None and data.get("raw_state") and not await _dialog_step(event, data):
            assert isinstance(event, CallbackQuery)
            await leave_dialog(state, event)
        return await handler(event, data)


def leaves_dialogs(router: Router) -> Router:
    """For a router whose buttons are screens, none a step of a dialog of another
    router's (the admin panel's): each of them ends a dialog left open."""
    router.callback_query.middleware(LeavesDialog())
    return router


def protect(router: Router, *roles: Role) -> Router:
    gate = RoleGate(frozenset(roles))
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    return router
