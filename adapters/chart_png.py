"""A small PNG chart renderer with no dependencies (zlib and struct): bars above, a line below.

Used for incidents per week and median time to resolve per week, in the dashboard and the digest.
The same figures always give the same bytes (no timestamps, fixed compression), so a chart can be
cached and compared. Labels use a built-in 3x5 bitmap font scaled up; every chart comes with a text
description for people who cannot see it (``weekly_chart_description``).
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from services.metrics import Week

Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
INK: Colour = (36, 36, 36)
GRID: Colour = (224, 224, 224)
BAR: Colour = (98, 100, 167)  # Teams purple
LINE: Colour = (196, 49, 75)

# 3 columns x 5 rows per glyph, "#" is ink. Upper case only: labels are upper-cased before drawing.
_FONT_ROWS = {
    "0": "###|#.#|#.#|#.#|###", "1": ".#.|##.|.#.|.#.|###", "2": "###|..#|###|#..|###",
    "3": "###|..#|.##|..#|###", "4": "#.#|#.#|###|..#|..#", "5": "###|#..|###|..#|###",
    "6": "###|#..|###|#.#|###", "7": "###|..#|.#.|.#.|.#.", "8": "###|#.#|###|#.#|###",
    "9": "###|#.#|###|..#|###", "A": ".#.|#.#|###|#.#|#.#", "B": "##.|#.#|##.|#.#|##.",
    "C": "###|#..|#..|#..|###", "D": "##.|#.#|#.#|#.#|##.", "E": "###|#..|##.|#..|###",
    "F": "###|#..|##.|#..|#..", "G": "###|#..|#.#|#.#|###", "H": "#.#|#.#|###|#.#|#.#",
    "I": "###|.#.|.#.|.#.|###", "J": "..#|..#|..#|#.#|###", "K": "#.#|#.#|##.|#.#|#.#",
    "L": "#..|#..|#..|#..|###", "M": "#.#|###|###|#.#|#.#", "N": "##.|#.#|#.#|#.#|#.#",
    "O": "###|#.#|#.#|#.#|###", "P": "###|#.#|###|#..|#..", "Q": "###|#.#|#.#|###|..#",
    "R": "##.|#.#|##.|#.#|#.#", "S": "###|#..|###|..#|###", "T": "###|.#.|.#.|.#.|.#.",
    "U": "#.#|#.#|#.#|#.#|###", "V": "#.#|#.#|#.#|#.#|.#.", "W": "#.#|#.#|###|###|#.#",
    "X": "#.#|#.#|.#.|#.#|#.#", "Y": "#.#|#.#|.#.|.#.|.#.", "Z": "###|..#|.#.|#..|###",
    " ": "...|...|...|...|...", ".": "...|...|...|...|.#.", "-": "...|...|###|...|...",
    ":": "...|.#.|...|.#.|...", "/": "..#|..#|.#.|#..|#..", "%": "#.#|..#|.#.|#..|#.#",
    "(": ".#.|#..|#..|#..|.#.", ")": ".#.|..#|..#|..#|.#.",
}
FONT = {ch: tuple(tuple(c == "#" for c in row) for row in rows.split("|")) for ch, rows in _FONT_ROWS.items()}
GLYPH_W, GLYPH_H = 3, 5


class Canvas:
    """An RGB pixel buffer with the few drawing operations a chart needs."""

    def __init__(self, width: int, height: int, background: Colour = WHITE) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def dot(self, x: int, y: int, colour: Colour) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            offset = 3 * (y * self.width + x)
            self.pixels[offset:offset + 3] = bytes(colour)

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
        """Fill [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        if x0 >= x1:
            return
        row = bytes(colour) * (x1 - x0)
        for y in range(y0, y1):
            offset = 3 * (y * self.width + x0)
            self.pixels[offset:offset + len(row)] = row

    def line(self, x0: int, y0: int, x1: int, y1: int, colour: Colour, thickness: int = 2) -> None:
        """Bresenham's line, stamped ``thickness`` pixels square."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        error = dx + dy
        while True:
            self.rect(x0, y0, x0 + thickness, y0 + thickness, colour)
            if (x0, y0) == (x1, y1):
                return
            doubled = 2 * error
            if doubled >= dy:
                error, x0 = error + dy, x0 + sx
            if doubled <= dx:
                error, y0 = error + dx, y0 + sy

    def text(self, x: int, y: int, text: str, colour: Colour = INK, scale: int = 2) -> None:
        for index, char in enumerate(text.upper()):
            glyph = FONT.get(char, FONT[" "])
            left = x + index * (GLYPH_W + 1) * scale
            for row, bits in enumerate(glyph):
                for column, ink in enumerate(bits):
                    if ink:
                        self.rect(left + column * scale, y + row * scale, left + (column + 1) * scale,
                                  y + (row + 1) * scale, colour)

    @staticmethod
    def text_width(text: str, scale: int = 2) -> int:
        return max(0, len(text) * (GLYPH_W + 1) * scale - scale)

    def png(self) -> bytes:
        return encode_png(self.width, self.height, bytes(self.pixels))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG: signature, IHDR, one IDAT (filter 0 on every row), IEND."""
    if len(rgb) != width * height * 3:
        raise ValueError(f"{len(rgb)} bytes of pixels do not make a {width}x{height} RGB image")
    stride = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride:(y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= value - 1e-9))


def _number(value: float) -> str:
    return f"{value:.1f}" if 0 < abs(value) < 10 and value != int(value) else f"{value:.0f}"


@dataclass(frozen=True)
class Panel:
    title: str
    values: Sequence[float | None]  # None: no value that week (a gap in the line)
    colour: Colour
    bars: bool


CHART_WIDTH, PANEL_HEIGHT, TITLE_HEIGHT, LABEL_HEIGHT = 720, 200, 30, 26


def chart_height(panels: int) -> int:
    return panels * (PANEL_HEIGHT + TITLE_HEIGHT) + LABEL_HEIGHT


def render_panels(labels: Sequence[str], panels: Sequence[Panel], *, width: int = CHART_WIDTH,
                  panel_height: int = PANEL_HEIGHT) -> bytes:
    """One panel per series, stacked, sharing the x labels (drawn under the last panel)."""
    margin_left, margin_right, title_height, label_height = 44, 16, TITLE_HEIGHT, LABEL_HEIGHT
    height = len(panels) * (panel_height + title_height) + label_height
    canvas = Canvas(width, height)
    slots = max(1, len(labels))
    slot = (width - margin_left - margin_right) / slots
    label_every = max(1, math.ceil(Canvas.text_width("W00") / max(slot - 6, 1)))
    for index, panel in enumerate(panels):
        top = index * (panel_height + title_height)
        canvas.text(margin_left, top + 8, panel.title, INK)
        plot_top, plot_bottom = top + title_height + 14, top + title_height + panel_height - 6
        ceiling = nice_ceiling(max((v for v in panel.values if v is not None), default=0))
        for fraction in (0.0, 0.5, 1.0):
            y = round(plot_bottom - fraction * (plot_bottom - plot_top))
            canvas.rect(margin_left, y, width - margin_right, y + 1, GRID)
            label = _number(ceiling * fraction)
            canvas.text(margin_left - 6 - Canvas.text_width(label), y - 5, label, INK)

        points: list[tuple[int, int] | None] = []
        for i, value in enumerate(panel.values):
            centre = round(margin_left + (i + 0.5) * slot)
            if value is None:
                points.append(None)
                continue
            y = round(plot_bottom - value / ceiling * (plot_bottom - plot_top))
            if panel.bars:
                half = max(1, round(slot * 0.32))
                canvas.rect(centre - half, y, centre + half, plot_bottom + 1, panel.colour)
            else:
                points.append((centre, y))
            if value or panel.bars:
                text = _number(value)
                canvas.text(centre - Canvas.text_width(text) // 2, y - 14, text, INK)
        if not panel.bars:
            for start, end in itertools.pairwise(points):
                if start is not None and end is not None:
                    canvas.line(start[0], start[1], end[0], end[1], panel.colour)
            for point in points:
                if point is not None:
                    canvas.rect(point[0] - 3, point[1] - 3, point[0] + 4, point[1] + 4, panel.colour)
    for i, label in enumerate(labels):
        if i % label_every == 0:
            centre = round(margin_left + (i + 0.5) * slot)
            canvas.text(centre - Canvas.text_width(label) // 2, height - label_height + 8, label, INK)
    return canvas.png()


def _hours(week: Week) -> float | None:
    span = week.median_time_to_resolve
    return round(span.total_seconds() / 3600, 1) if span is not None else None


WEEKLY_CHART_SIZE = (CHART_WIDTH, chart_height(2))


def render_weekly_chart(weeks: Sequence[Week]) -> bytes:
    """Incidents declared per ISO week (bars) and the median hours to resolve them (line)."""
    labels = [f"W{w.number:02d}" for w in weeks]
    return render_panels(labels, [
        Panel("Incidents per week", [float(w.declared) for w in weeks], BAR, bars=True),
        Panel("Median hours to resolve", [_hours(w) for w in weeks], LINE, bars=False),
    ])


def weekly_chart_description(weeks: Sequence[Week]) -> str:
    """The chart in words, for its alt text and for mail clients that block images."""
    if not weeks:
        return "No weeks to chart."
    parts = []
    for week in weeks:
        hours = _hours(week)
        resolve = f", median {hours:g} h to resolve" if hours is not None else ""
        parts.append(f"{week.label}: {week.declared} declared{resolve}")
    return "Incidents per week and median hours to resolve. " + "; ".join(parts) + "."
