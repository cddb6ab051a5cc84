"""Domain errors become a short answer; anything else is logged and apologised for.

These handlers take `locale`, not `ctx`: they run after the update's transaction has
rolled back, so its session (and the user row read in it) is gone; the language is
all they need and it is kept in the update's data for them.
"""

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter, Filter
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n

from db.outage import OutageLog, unreachable
from locales import pick_language
from screens.base import domain_message
from screens.errors import apology_text, outage_text
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


class DatabaseOutage:
    """The database can't be reached while the bot runs: each update it breaks gets "try
    again in a minute", the log one line a minute (`db.outage.OutageLog`). Nothing was
    saved: the update's transaction never began or rolled back."""

    def __init__(self, every: float = 60.0) -> None:
        self.log = OutageLog(log, "The database", every)

    async def report(self, event: ErrorEvent, i18n: I18n, locale: str | None = None) -> None:
        update = event.update
        if locale is None:  # the outage came before the user's row: their Telegram's
            sender = getattr(update.event, "from_user", None)
            code = sender.language_code if sender is not None else None
            locale = pick_language(code, i18n.default_locale)
        message = update.message
        money = message is not None and (message.successful_payment or message.refunded_payment)
        paid = update.pre_checkout_query is not None or money  # as the Redis outage's
        payment = (update.update_id, update.model_dump_json(exclude_none=True)) if paid else None
        self.log.turned_away(event.exception, payment)
        with i18n.context(), i18n.use_locale(locale):
            text = outage_text()
        await _reply(event, text)


class DatabaseDown(Filter):
    async def __call__(self, event: ErrorEvent) -> bool:
        return unreachable(event.exception)


def build_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_domain_error, ExceptionTypeFilter(DomainError))
    # A bound method: aiogram awaits coroutine functions (an object's async __call__ it
    # would run in a thread and never await).
    router.errors.register(DatabaseOutage().report, DatabaseDown())
    router.errors.register(on_unexpected_error)
    return router
