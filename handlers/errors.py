"""Domain errors become a short answer; anything else is logged and apologised for.

These handlers take `locale`, not `ctx`: they run after the update's transaction has
rolled back, so its session (and the user row read in it) is gone; the language is
all they need and it is kept in the update's data for them.
"""

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n

from screens.base import domain_message
from screens.errors import apology_text
from services.errors import DomainError

log = logging.getLogger(__name__)


async def _reply(event: ErrorEvent, text: str) -> None:
    update = event.update
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.message is not None:
            await update.message.answer(text)
    except TelegramAPIError:
        log.warning("Could not tell the user about a failure in update %s", update.update_id)


async def on_domain_error(event: ErrorEvent, i18n: I18n, locale: str = "en") -> None:
    exc = event.exception
    assert isinstance(exc, DomainError)
    with i18n.context(), i18n.use_locale(locale):
        text = domain_message(exc)
    await _reply(event, text)


async def on_unexpected_error(event: ErrorEvent, i18n: I18n, locale: str = "en") -> None:
    log.error(
        "Update %s failed: %r", event.update.update_id, event.exception, exc_info=event.exception
    )
    with i18n.context(), i18n.use_locale(locale):
        text = apology_text()
    await _reply(event, text)


def build_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_domain_error, ExceptionTypeFilter(DomainError))
    router.errors.register(on_unexpected_error)
    return router
