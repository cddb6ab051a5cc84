from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from models import Role, User


class RoleGate(BaseMiddleware):
    """Lets a matched handler run only for the given roles; others hear "not allowed".

    Set once on a router (`protect`), so every command, button and dialog step of the
    admin or seller panel is checked against the role stored in the database now.
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
        text = _("Not allowed.")
        if isinstance(event, CallbackQuery):
            data["callback_answer"].text = text
            data["callback_answer"].show_alert = True
        elif isinstance(event, Message):
            await event.answer(text)
        return None


def protect(router: Router, *roles: Role) -> Router:
    gate = RoleGate(frozenset(roles))
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    return router
