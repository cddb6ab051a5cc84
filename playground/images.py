"""Product pictures for the demo shop, drawn here: no network, no imaging library.

A picture is a soft two-colour gradient with a disc and a band, its colours chosen from
the name it is asked for, so every product gets its own and the same one each time.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import struct
import zlib

WIDTH, HEIGHT = 320, 200


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An RGB PNG from rows of `width * 3` bytes."""
    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def _rgb(hue: float, lightness: float, saturation: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb(hue % 1.0, lightness, saturation)
    return int(r * 255), int(g * 255), int(b * 255)


@functools.lru_cache(maxsize=128)
def picture(name: str) -> bytes:
    seed = hashlib.sha256(name.encode()).digest()
    hue = seed[0] / 255
    top, bottom = _rgb(hue, 0.78, 0.55), _rgb(hue + 0.08, 0.55, 0.6)
    disc = _rgb(hue + 0.5, 0.6, 0.7)
    cx, cy = WIDTH * (0.3 + seed[1] / 640), HEIGHT * (0.35 + seed[2] / 900)
    radius2 = (HEIGHT * (0.2 + seed[3] / 1500)) ** 2
    band_y = int(HEIGHT * 0.78)
    rows = []
    for y in range(HEIGHT):
        t = y / (HEIGHT - 1)
        base = bytes(int(top[i] + (bottom[i] - top[i]) * t) for i in range(3))
        row = bytearray(base * WIDTH)
        dy2 = (y - cy) ** 2
        if dy2 <= radius2:
            half = int((radius2 - dy2) ** 0.5)
            start, end = max(0, int(cx) - half), min(WIDTH, int(cx) + half)
            row[start * 3 : end * 3] = bytes(disc) * (end - start)
        if y >= band_y:
            row[:] = bytes(int(c * 0.85) for c in row)
        rows.append(bytes(row))
    return png(WIDTH, HEIGHT, rows)


PLACEHOLDER_NAME = "no picture"
