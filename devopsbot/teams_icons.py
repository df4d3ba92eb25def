"""The Teams app icons, drawn in code so they can be regenerated exactly: ``python -m devopsbot.teams_icons``.

Teams wants a 192x192 full-colour icon and a 32x32 outline icon (white on transparent). Both show a warning
triangle with an exclamation mark. PNGs are written with zlib and struct only: no imaging library to install.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from devopsbot.settings import ROOT

Pixel = tuple[int, int, int, int]  # RGBA, 0-255
APP_PACKAGE = ROOT / "appPackage"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
ACCENT: Pixel = (0xC4, 0x31, 0x4B, 0xFF)  # the manifest's accentColor
WHITE: Pixel = (0xFF, 0xFF, 0xFF, 0xFF)
CLEAR: Pixel = (0, 0, 0, 0)
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class NotAPng(ValueError):
    """The bytes do not start with a PNG signature and IHDR chunk."""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An 8-bit RGBA PNG whose pixel at column x, row y is ``pixel(x, y)``."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type 0: the row as it is
        for x in range(width):
            rows.extend(pixel(x, y))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # depth 8, colour type 6 (RGBA)
    return (_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + _chunk(b"IEND", b""))


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (the first chunk, right after the signature)."""
    if len(data) < 24 or not data.startswith(_SIGNATURE) or data[12:16] != b"IHDR":
        raise NotAPng("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _in_triangle(u: float, v: float) -> bool:
    """(u, v) in the unit square; the triangle's apex is at the top centre, its base along the bottom."""
    top, bottom = 0.12, 0.88
    if not top <= v <= bottom:
        return False
    half_width = 0.42 * (v - top) / (bottom - top)
    return abs(u - 0.5) <= half_width


def _in_exclamation(u: float, v: float) -> bool:
    bar = abs(u - 0.5) <= 0.05 and 0.38 <= v <= 0.68
    dot = (u - 0.5) ** 2 + (v - 0.77) ** 2 <= 0.055**2
    return bar or dot


def warning_sign(size: int, *, background: Pixel, sign: Pixel, mark: Pixel) -> Callable[[int, int], Pixel]:
    """Pixels of the warning triangle on ``background``, sampled at each pixel's centre."""

    def pixel(x: int, y: int) -> Pixel:
        u, v = (x + 0.5) / size, (y + 0.5) / size
        if not _in_triangle(u, v):
            return background
        return mark if _in_exclamation(u, v) else sign

    return pixel


def color_icon() -> bytes:
    return encode_png(COLOR_SIZE, COLOR_SIZE, warning_sign(COLOR_SIZE, background=ACCENT, sign=WHITE, mark=ACCENT))


def outline_icon() -> bytes:
    return encode_png(OUTLINE_SIZE, OUTLINE_SIZE, warning_sign(OUTLINE_SIZE, background=CLEAR, sign=WHITE,
                                                               mark=CLEAR))


ICONS: dict[str, Callable[[], bytes]] = {"color.png": color_icon, "outline.png": outline_icon}


def write_icons(folder: Path = APP_PACKAGE) -> list[Path]:
    written = []
    for name, draw in ICONS.items():
        path = folder / name
        path.write_bytes(draw())
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_icons():
        print(written_path)
