from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import (
    CallbackQuery,
    Message,
    PreCheckoutQuery,
    ReplyKeyboardRemove,
    TelegramObject,
)
from aiogram.types import User as TgUser
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import pick_language
from bot.middlewares.readahead import READ_AHEAD
from bot.middlewares.throttling import is_payment
from bot.storage import SqlStorage
from db import readahead
from db.readahead import Read
from handlers.states import end_dialog
from models import User
from screens.dialogs import REPLY_KEYBOARD_STATES
from services.users import Profile, UserService


class UserMiddleware(BaseMiddleware):
    """Loads (or registers) the sender's row; banned users stop here after one notice.

    Except for money: a banned user's pre-checkout is refused with the reason (unanswered,
    Telegram would fail it only after a timeout), and a payment Telegram has already taken
    (or refunded) goes on to be recorded like anyone's (handlers/payments.py).
    """

    # The user's row and their SQL FSM record in one statement (see `_lookup`).
    LOOKUP_WITH_STATE = SqlStorage.with_record(UserService.LOOKUP)

    def __init__(self, admin_ids: frozenset[int], i18n: I18n) -> None:
        self.admin_ids = admin_ids
        self.i18n = i18n

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot:
            return await handler(event, data)
        session: AsyncSession = data["session"]
        service = UserService(session)
        found = await self._lookup(session, tg_user.id, data)
        profile = Profile(
            telegram_id=tg_user.id,
            username=tg_user.username,
            first_name=tg_user.first_name,
            last_name=tg_user.last_name,
            language_code=tg_user.language_code,
        )
        user = await service.sync(
            profile,
            language=pick_language(tg_user.language_code, self.i18n.default_locale),
            admin_ids=self.admin_ids,
            start_payload=_start_payload(event),
            found=found,
        )
        if user.is_banned and not _money_moved(event):
            await self._refuse(event, service, user, data)
            return None
        data["user"] = user
        return await handler(event, data)

    async def _lookup(
        self, session: AsyncSession, telegram_id: int, data: dict[str, Any]
    ) -> User | None:
        """The user's row (None: not registered yet), in one statement with what else the
        update is about to read: their SQL FSM record, which the storage then serves from
        its per-session cache, and the screen a pressed button opens (`db.readahead`).
        The update's lock is already held (`IsolationMiddleware`), so nothing is early.
        """
        stmt, params = UserService.LOOKUP, {"telegram_id": telegram_id}
        key = self._fsm_key(data.get("dispatcher"), data)
        if key is not None:
            stmt, params = self.LOOKUP_WITH_STATE, {**params, "fsm_key": key}
        read: Read | None = data.get(READ_AHEAD)
        if read is None:
            row = (await session.execute(stmt, params)).first()
        else:
            fused = readahead.joined(stmt, read.stmt)
            row = (await session.execute(fused.stmt, readahead.bound(params, read))).first()
            if row is not None:
                readahead.keep(session, read, fused, row)
        if row is None:
            return None
        if key is not None:
            SqlStorage.remember(session, key, row.state, row.data)
        return row[0]

    @staticmethod
    def _fsm_key(dispatcher: Any, data: dict[str, Any]) -> str | None:
        """The key of the update's FSM record when the SQL storage keeps it."""
        fsm: FSMContextMiddleware | None = getattr(dispatcher, "fsm", None)
        if fsm is None or not isinstance(fsm.storage, SqlStorage):
            return None
        context = fsm.resolve_event_context(data["bot"], data)
        return None if context is None else fsm.storage.key_builder.build(context.key)

    async def _refuse(
        self, update: TelegramObject, service: UserService, user: User, data: dict[str, Any]
    ) -> None:
        """One notice for a banned user; after it, buttons only stop spinning (the press
        is answered after the update, by `AnswerAfterCommit`). A dialog they were in
        ends: unbanned later, their first message is not taken as its step's answer."""
        message: Message | None = getattr(update, "message", None)
        with self.i18n.use_locale(user.language):
            text = self.i18n.gettext("You are banned from this shop.")
        checkout: PreCheckoutQuery | None = getattr(update, "pre_checkout_query", None)
        if checkout is not None:
            # Every time: Telegram waits for this answer before it takes the money.
            await checkout.answer(ok=False, error_message=text)
            return
        fsm: FSMContextMiddleware | None = getattr(data.get("dispatcher"), "fsm", None)
        state = fsm.resolve_event_context(data["bot"], data) if fsm is not None else None
        current = await state.get_state() if state is not None else None
        if state is not None and current is not None:
            await end_dialog(state)
        answer: CallbackAnswer | None = data.get("callback_answer")
        told = False
        if current in REPLY_KEYBOARD_STATES:  # the step's keyboard goes with its dialog
            query: CallbackQuery | None = getattr(update, "callback_query", None)
            chat = message or (query.message if query is not None else None)
            if told := isinstance(chat, Message):
                await chat.answer(text, reply_markup=ReplyKeyboardRemove())
        if user.ban_notified or (answer is None and message is None):
            return  # told already, or nothing to answer through (an inline query)
        await service.mark_ban_notified(user)
        if told:
            return
        if answer is not None:
            answer.text, answer.show_alert = text, True
        elif message is not None:
            await message.answer(text)


def _money_moved(update: TelegramObject) -> bool:
    """A payment Telegram has made or returned: it must be recorded whoever sent it."""
    return is_payment(update) and getattr(update, "pre_checkout_query", None) is None


def _start_payload(update: TelegramObject) -> str | None:
    message: Message | None = getattr(update, "message", None)
    text = message.text if message is not None else None
    if text and text.startswith("/start "):
        return text.split(maxsplit=1)[1][:64]
    return None
