"""An album is one message: Telegram sends each of its photos as a message of its own.
The first is handled as any message is; the rest get no answer, so a step that wants
text says so once, not once a photo (the photo steps take the first photo)."""

from aiogram import Router
from aiogram.filters import StateFilter

from handlers.common import ignore
from handlers.filters import AlbumRest


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(ignore, AlbumRest(), StateFilter("*"))
    return router
