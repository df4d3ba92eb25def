"""The weekly chart drawn by matplotlib: units that fit the data, a valid PNG and SVG, the same bytes for the
same figures, and no cost at import (matplotlib loads when a chart is drawn, not before)."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image

from adapters.weekly_chart import (
    WEEKLY_CHART_SIZE,
    render_weekly_chart,
    weekly_chart_description,
    weekly_chart_rows,
    weekly_figure,
    weekly_series,
)
from devopsbot.settings import ROOT
from services.metrics import Week

SVG = "{http://www.w3.org/2000/svg}"
WEEKS = (
    Week(2026, 41, date(2026, 10, 5), 4, 3, timedelta(hours=2)),
    Week(2026, 42, date(2026, 10, 12), 0, 0, None),
    Week(2026, 43, date(2026, 10, 19), 2, 2, timedelta(hours=10)),
)
TWO_MINUTES = (Week(2026, 48, date(2026, 11, 23), 1, 1, timedelta(minutes=2, seconds=25)),)


def test_a_two_minute_incident_is_charted_in_minutes_not_as_zero_hours() -> None:
    series = weekly_series(TWO_MINUTES)
    assert series.unit.name == "minutes" and series.medians == (2.4,)
    _, resolve_axes = weekly_figure(TWO_MINUTES).axes
    assert resolve_axes.get_ylabel() == "minutes"
    assert resolve_axes.get_title(loc="left") == "Median time to resolve (minutes)"
    assert list(resolve_axes.lines[0].get_ydata()) == [2.4]


@pytest.mark.parametrize(("median", "unit", "value"), [
    (timedelta(seconds=45), "seconds", 45.0),
    (timedelta(minutes=2, seconds=25), "minutes", 2.4),
    (timedelta(minutes=89), "minutes", 89.0),
    (timedelta(hours=3), "hours", 3.0),
    (timedelta(days=5), "days", 5.0),
])
def test_the_unit_follows_the_longest_median(median: timedelta, unit: str, value: float) -> None:
    weeks = (Week(2026, 47, date(2026, 11, 16), 1, 1, timedelta(seconds=30)),
             Week(2026, 48, date(2026, 11, 23), 1, 1, median))
    series = weekly_series(weeks)
    assert series.unit.name == unit and series.medians[-1] == value


def test_the_description_and_the_table_give_each_median_as_the_dashboard_header_does() -> None:
    assert weekly_chart_description(TWO_MINUTES) == (
        "Incidents per week and median time to resolve (in minutes). "
        "2026-W48: 1 declared, median 2 min 25 s to resolve.")
    assert weekly_chart_description(WEEKS) == (
        "Incidents per week and median time to resolve (in hours). 2026-W41: 4 declared, median 2 h 00 min to "
        "resolve; 2026-W42: 0 declared; 2026-W43: 2 declared, median 10 h 00 min to resolve.")
    assert weekly_chart_rows(WEEKS)[1] == {"week": "2026-W42", "starts": "2026-10-12", "declared": 0,
                                           "resolved": 0, "median": "—"}


def test_bars_show_the_weekly_counts_and_the_line_breaks_where_nothing_was_resolved() -> None:
    declared_axes, resolve_axes = weekly_figure(WEEKS).axes
    assert [bar.get_height() for bar in declared_axes.patches] == [4, 0, 2]
    first, gap, third = resolve_axes.lines[0].get_ydata()
    assert (first, third) == (2.0, 10.0) and math.isnan(gap)


def test_the_png_is_valid_and_decodes_at_the_announced_size() -> None:
    png = render_weekly_chart(WEEKS, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == WEEKLY_CHART_SIZE
        image.load()
    assert len(png) < 16_000  # a palette image: the digest card carries it inline, under Teams' 28 KB


def test_the_svg_parses_and_names_itself_with_the_figures() -> None:
    root = ET.fromstring(render_weekly_chart(TWO_MINUTES, "svg"))  # noqa: S314 - the app's own SVG
    assert root.tag == f"{SVG}svg" and root.get("width") == "540pt"  # 720 CSS pixels, as the <img> says
    assert root[0].tag == f"{SVG}title" and root[0].text == "Incidents per week and median time to resolve"
    assert root[1].tag == f"{SVG}desc" and root[1].text == weekly_chart_description(TWO_MINUTES)
    assert root.find(f".//{SVG}script") is None


@pytest.mark.parametrize("chart_format", ["png", "svg"])
def test_the_same_figures_give_the_same_bytes(chart_format: str) -> None:
    drawn = render_weekly_chart(WEEKS, chart_format)  # type: ignore[arg-type]
    assert render_weekly_chart(list(WEEKS), chart_format) == drawn  # type: ignore[arg-type]
    assert render_weekly_chart(WEEKS[:2], chart_format) != drawn  # type: ignore[arg-type]


def test_no_weeks_still_draw_an_empty_chart() -> None:
    assert ET.fromstring(render_weekly_chart((), "svg")).tag == f"{SVG}svg"  # noqa: S314 - the app's own SVG
    assert weekly_chart_description(()) == "No weeks to chart."


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          env=env)


def test_importing_the_dashboard_loads_no_charting_package() -> None:
    code = ("import json, sys, functions.dashboard, devopsbot.weekly_digest, adapters.weekly_chart; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'numpy', 'PIL'})))")
    assert json.loads(_run(code, dict(os.environ)).stdout) == []


def test_drawing_with_a_read_only_home_writes_only_to_the_temporary_directory(tmp_path: Path) -> None:
    # As in Azure Functions: no writable home. matplotlib would warn and rebuild its font cache every start.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPL", "XDG_"))}
    env |= {"HOME": "/dev/null", "TMPDIR": str(tmp_path)}
    code = ("from adapters.weekly_chart import render_weekly_chart; render_weekly_chart(()); "
            "import matplotlib; print(matplotlib.get_backend().lower(), matplotlib.get_configdir())")
    result = _run(code, env)
    assert result.stdout.split() == ["agg", str(tmp_path / "devopsbot-matplotlib")]
    assert result.stderr == ""
