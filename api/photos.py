"""Product photos for a Mini App. A seller's photo is a Telegram file id, which only the
bot's token can fetch, so the API serves the bytes: a `PhotoSource` fetches them (the
shell gives one that asks Telegram, `bot/photos.py`; this floor doesn't import aiogram),
and the last few are kept in memory, since a catalog page asks for the same ones again
and again."""

from collections import OrderedDict
from typing import Protocol

from fastapi import HTTPException

from services.texts import N_

GONE = N_("This product's photo is no longer available.")
BUSY = N_("Telegram can't give the photo now; try again later.")
NO_SOURCE = N_("Photos are served only when the API has BOT_TOKEN.")


class PhotoGone(Exception):
    """Telegram doesn't have the file (any more)."""


class PhotoUnreachable(Exception):
    """Telegram can't be asked now."""


class PhotoSource(Protocol):
    async def fetch(self, file_id: str) -> bytes:
        """The file's bytes; raises PhotoGone or PhotoUnreachable."""
        ...

    async def close(self) -> None: ...


# Telegram's photos are JPEG; uploads through a local Bot API server may be otherwise.
_SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF8", "image/gif"),
]


def image_type(data: bytes) -> str:
    """What the bytes are (a RIFF…WEBP header is WebP); anything else is served as an
    octet stream, never as something a browser would run."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    found = (mime for magic, mime in _SIGNATURES if data.startswith(magic))
    return next(found, "application/octet-stream")


class Photos:
    def __init__(
        self, source: PhotoSource | None, keep: int = 64, keep_bytes: int = 16 * 2**20
    ) -> None:
        self.source = source  # None: no BOT_TOKEN, no photos
        self.keep = keep  # at most this many photos in memory,
        self.keep_bytes = keep_bytes  # and this many bytes of them
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    async def get(self, file_id: str) -> bytes:
        """The photo's bytes: 404 when Telegram no longer has it, 503 when it can't be
        asked now (or there is no token to ask with)."""
        if file_id in self._kept:
            self._kept.move_to_end(file_id)
            return self._kept[file_id]
        if self.source is None:
            raise HTTPException(503, NO_SOURCE)
        try:
            photo = await self.source.fetch(file_id)
        except PhotoGone:
            raise HTTPException(404, GONE) from None
        except PhotoUnreachable:
            raise HTTPException(503, BUSY) from None
        if file_id not in self._kept and len(photo) <= self.keep_bytes:
            self._kept[file_id] = photo
            self._size += len(photo)
        while len(self._kept) > self.keep or self._size > self.keep_bytes:
            self._size -= len(self._kept.popitem(last=False)[1])
        return photo

    async def close(self) -> None:
        if self.source is not None:
            await self.source.close()
