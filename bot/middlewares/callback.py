from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.dispatcher.flags import get_flag
from aiogram.methods import TelegramMethod
from aiogram.types import TelegramObject, Update
from aiogram.utils.callback_answer import CallbackAnswerMiddleware


class AnswerAfterCommit(CallbackAnswerMiddleware):
    """aiogram's CallbackAnswerMiddleware, moved out to the update so that a button's
    answer ("Added to cart", "Saved") goes out after the update's transaction commits;
    and without the answer it sends when anything fails.

    A query can be answered once; on failure (the handler's, or the commit's) the errors
    router answers it with the reason instead. Handlers set `callback_answer.text` /
    `.show_alert` rather than calling `query.answer()` themselves.

    `in_reply` (webhook mode): the answer rides in the webhook's HTTP reply, which goes
    out once the update is handled, instead of as a Bot API call of its own: one request
    fewer per press, for the worker and for Telegram. Telegram does not say whether such
    a call succeeded; for a button's answer nothing depends on that.
    """

    def __init__(self, in_reply: bool = False) -> None:
        super().__init__()
        self.in_reply = in_reply

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        query = event.callback_query if isinstance(event, Update) else None
        if query is None:
            return await handler(event, data)
        answer = data["callback_answer"] = self.construct_callback_answer(
            properties=get_flag(data, "callback_answer")
        )
        result = await handler(event, data)
        if not answer.disabled and not answer.answered:
            method = self.answer(query, answer)
            if self.in_reply and not isinstance(result, TelegramMethod):
                return method
            await method
        return result
