"""The Bot API's files: what the playground keeps of uploads and of photos sent by URL,
`getFile`, and a file's bytes for its download (the page's pictures, and `Bot.download`
through the in-process session)."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlsplit

from playground import images
from playground.rules import BadRequest

# Served as what they say they are; anything else is an octet stream (never HTML).
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


class FileMethods:
    files: dict[str, dict[str, Any]]  # file_id -> {"url"} or {"data", "mime"}
    open_files: bool
    _file_ids: itertools.count

    def add_file(self, **info: Any) -> str:
        file_id = f"file-{next(self._file_ids)}"
        self.files[file_id] = info
        return file_id

    def photo_sizes(self, ref: str) -> list[dict[str, Any]]:
        """PhotoSize list for a file id or an HTTP URL (which Telegram would download)."""
        if ref in self.files:
            pass
        elif self.open_files and ref:
            self.files[ref] = {"url": ref}  # the id stays as the test wrote it
        elif ref.startswith(("http://", "https://")):
            ref = self.add_file(url=ref)
        else:
            raise BadRequest("wrong file identifier/HTTP URL specified")
        return [{"file_id": ref, "file_unique_id": ref, "width": 800, "height": 600}]

    def content(self, file_id: str) -> tuple[bytes, str] | None:
        """A file's bytes and type; a photo sent by URL is drawn (any address but the
        playground's own pictures would need the internet: a placeholder stands in)."""
        info = self.files.get(file_id)
        if info is None:
            return None
        if "data" in info:
            mime = info["mime"] if info["mime"] in IMAGE_TYPES else "application/octet-stream"
            return info["data"], mime
        path = urlsplit(info["url"]).path
        name = path[len("/img/") : -len(".png")] if path.startswith("/img/") else None
        return images.picture(name or images.PLACEHOLDER_NAME), "image/png"

    def _m_getfile(self, params: dict) -> dict:
        """A file's path to download it from (`/file/bot<token>/<file_path>`)."""
        ref = str(params.get("file_id", ""))
        if ref not in self.files and self.open_files and ref:
            self.files[ref] = {"url": ref}  # as `photo_sizes` takes it
        found = self.content(ref)
        if found is None:
            raise BadRequest("invalid file_id")
        size = len(found[0])
        return {"file_id": ref, "file_unique_id": ref, "file_size": size, "file_path": ref}
