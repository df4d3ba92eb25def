"""The weekly chart is a valid PNG (checked by decoding it by hand), deterministic, and shows the figures."""

from __future__ import annotations

import struct
import zlib
from datetime import date, timedelta

from adapters.chart_png import BAR, LINE, WEEKLY_CHART_SIZE, render_weekly_chart, weekly_chart_description
from services.metrics import Week

WEEKS = (
    Week(2026, 41, date(2026, 10, 5), 4, 3, timedelta(hours=2)),
    Week(2026, 42, date(2026, 10, 12), 0, 0, None),
    Week(2026, 43, date(2026, 10, 19), 2, 2, timedelta(hours=10)),
)


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk as (type, data), after checking its CRC."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    found, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind, data = png[offset + 4:offset + 8], png[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        found.append((kind, data))
        offset += 12 + length
    return found


def pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB bytes), undoing filter type 0, the only one the encoder writes."""
    parts = chunks(png)
    width, height, depth, colour, _, _, _ = struct.unpack(">IIBBBBB", parts[0][1])
    assert (depth, colour) == (8, 2)
    raw = zlib.decompress(b"".join(data for kind, data in parts if kind == b"IDAT"))
    stride = 1 + 3 * width
    assert len(raw) == height * stride
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, [raw[y * stride + 1:(y + 1) * stride] for y in range(height)]


def test_the_chart_is_a_valid_png_of_the_announced_size() -> None:
    png = render_weekly_chart(WEEKS)
    kinds = [kind for kind, _ in chunks(png)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    width, height, rows = pixels(png)
    assert (width, height) == WEEKLY_CHART_SIZE
    assert len(rows) == height and all(len(r) == 3 * width for r in rows)


def test_the_same_figures_give_the_same_bytes() -> None:
    assert render_weekly_chart(WEEKS) == render_weekly_chart(list(WEEKS))
    assert render_weekly_chart(WEEKS) != render_weekly_chart(WEEKS[:2])


def bar_heights(rows: list[bytes], colour: tuple[int, int, int]) -> list[int]:
    """Height in pixels of each bar, left to right: runs of columns holding ``colour``."""
    width = len(rows[0]) // 3
    per_column = [sum(row[3 * x:3 * x + 3] == bytes(colour) for row in rows) for x in range(width)]
    heights, run = [], 0
    for count in [*per_column, 0]:
        if count:
            run = max(run, count)
        elif run:
            heights.append(run)
            run = 0
    return heights


def test_bars_are_proportional_to_the_weekly_counts() -> None:
    _, _, rows = pixels(render_weekly_chart(WEEKS))
    first, empty, third = bar_heights(rows, BAR)  # 4, 0 and 2 incidents
    assert empty == 1  # a zero is a hairline on the axis, so the week still shows
    assert abs((first - 1) - 2 * (third - 1)) <= 1  # 4 is twice 2, give or take a rounded pixel


def test_the_resolve_line_is_drawn_only_where_a_week_has_a_median() -> None:
    _, _, with_line = pixels(render_weekly_chart(WEEKS))
    _, _, without = pixels(render_weekly_chart([Week(w.year, w.number, w.starts, w.declared, 0, None) for w in WEEKS]))
    assert any(bytes(LINE) in row for row in with_line)
    assert not any(bytes(LINE) in row for row in without)


def test_the_description_says_what_the_chart_shows() -> None:
    assert weekly_chart_description(WEEKS) == (
        "Incidents per week and median hours to resolve. 2026-W41: 4 declared, median 2 h to resolve; "
        "2026-W42: 0 declared; 2026-W43: 2 declared, median 10 h to resolve.")
