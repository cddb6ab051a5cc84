"""The Bot API's files: what the playground keeps of uploads and of photos sent by URL,
`getFile`, and a file's bytes for its download (the page's pictures, and `Bot.download`
through the in-process session)."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playground import images
from playground.rules import BadRequest

# Served as what they say they are; anything else is an octet stream (never HTML).
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


_UPLOAD_ID = re.compile(r"file-[0-9a-f]{32}")


class FileMethods:
    files: dict[str, dict[str, Any]]  # file_id -> {"url"} or {"data", "mime"[, "name"]}
    open_files: bool
    _file_ids: itertools.count
    # Where uploads are kept across restarts (beside the playground's database): the
    # shop stores a seller's photo by its file id, as Telegram's ids outlive a process.
    file_dir: Path | None

    def add_file(self, **info: Any) -> str:
        """A file's id: an upload's from its content (the same bytes, the same id; never
        another file's after a restart), a photo sent by URL's numbered."""
        if "data" not in info:
            file_id = f"url-{next(self._file_ids)}"
        else:
            digest = hashlib.sha256(f"{info.get('mime')}\n{info.get('name')}\n".encode())
            digest.update(info["data"])
            file_id = f"file-{digest.hexdigest()[:32]}"
            self._keep(file_id, info)
        self.files[file_id] = info
        return file_id

    def file_info(self, ref: str) -> dict[str, Any] | None:
        """What is known of a file id: this run's, or an upload kept by an earlier one."""
        info = self.files.get(ref)
        if info is None and self.file_dir is not None and _UPLOAD_ID.fullmatch(ref):
            data, meta = self.file_dir / ref, self.file_dir / f"{ref}.json"
            if data.is_file() and meta.is_file():
                info = {**json.loads(meta.read_text()), "data": data.read_bytes()}
                self.files[ref] = info
        return info

    def _keep(self, file_id: str, info: dict[str, Any]) -> None:
        if self.file_dir is None or (self.file_dir / file_id).is_file():
            return
        self.file_dir.mkdir(parents=True, exist_ok=True)
        meta = {k: v for k, v in info.items() if k != "data"}
        (self.file_dir / f"{file_id}.json").write_text(json.dumps(meta))
        (self.file_dir / file_id).write_bytes(info["data"])

    def photo_sizes(self, ref: str) -> list[dict[str, Any]]:
        """PhotoSize list for a file id or an HTTP URL (which Telegram would download)."""
        if self.file_info(ref) is not None:
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
        info = self.file_info(file_id)
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
        if self.file_info(ref) is None and self.open_files and ref:
            self.files[ref] = {"url": ref}  # as `photo_sizes` takes it
        found = self.content(ref)
        if found is None:
            raise BadRequest("invalid file_id")
        size = len(found[0])
        return {"file_id": ref, "file_unique_id": ref, "file_size": size, "file_path": ref}
