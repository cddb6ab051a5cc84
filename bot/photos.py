"""The web API's product photos, fetched from Telegram with the bot's token (`getFile`,
then the file, through `TELEGRAM_API_URL` when set). The token never leaves here: not in
an answer, not in a log line (aiohttp's errors carry the URL, token and all)."""

import asyncio
import logging
from io import BytesIO

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramNotFound
from aiohttp import ClientError, ClientResponseError

from api.photos import PhotoGone, PhotoUnreachable
from bot.config import Settings
from bot.factory import create_bot

log = logging.getLogger("api")


class TelegramPhotos:
    """An `api.photos.PhotoSource`."""

    def __init__(self, bot: Bot, timeout: float = 10.0) -> None:
        self.bot = bot
        self.timeout = timeout

    @classmethod
    def of(cls, settings: Settings, session: BaseSession | None = None) -> "TelegramPhotos | None":
        """None without a token: the API then answers 503 for photos."""
        if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
            return None
        return cls(create_bot(settings, session))

    async def fetch(self, file_id: str) -> bytes:
        try:
            async with asyncio.timeout(self.timeout):
                found = await self.bot.get_file(file_id)
                if found.file_path is None:  # over the 20 MB Telegram hands out
                    raise PhotoGone
                data = BytesIO()
                await self.bot.download_file(found.file_path, data)
                return data.getvalue()
        except (TelegramBadRequest, TelegramNotFound) as exc:
            log.info("A product photo is gone from Telegram: %s", type(exc).__name__)
            raise PhotoGone from None
        except ClientResponseError as exc:
            if exc.status in (400, 404):
                raise PhotoGone from None
            log.warning("Telegram's file server answered %s for a product photo", exc.status)
            raise PhotoUnreachable from None
        except (TelegramAPIError, ClientError, TimeoutError) as exc:
            log.warning("Could not fetch a product photo from Telegram: %s", type(exc).__name__)
            raise PhotoUnreachable from None

    async def close(self) -> None:
        await self.bot.session.close()
