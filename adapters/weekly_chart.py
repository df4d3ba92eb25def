"""The weekly trend chart, drawn by matplotlib: incidents declared per week (bars) and the median time to
resolve them (line), as SVG for the dashboard and PNG for email and the digest card.

Median times are plotted in the unit that fits the longest of them (seconds, minutes, hours or days), so a
two-minute incident reads "2.4 min", not "0 h". matplotlib (and numpy) take about a second to import, so
they are imported inside ``_draw`` only: importing this module costs nothing at cold start. Text is drawn
as outlines in matplotlib's bundled DejaVu Sans, so no system font is needed; the same figures always give
the same bytes (no dates, a fixed SVG id salt). Every chart has a description in words for its alt text.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from services.metrics import Week
from services.report_views import human_duration

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Format = Literal["svg", "png"]
WIDTH_INCHES, HEIGHT_INCHES, DPI = 7.5, 4.75, 96  # 720 x 456 pixels; SVG at 72 pt/in: 540 pt = 720 CSS px
WEEKLY_CHART_SIZE = (round(WIDTH_INCHES * DPI), round(HEIGHT_INCHES * DPI))
BAR, LINE, INK, GRID = "#6264a7", "#c4314b", "#242424", "#e0e0e0"  # Teams purple, the dashboard's colours
PNG_COLOURS = 64  # a palette PNG: a fraction of the bytes, so the digest card stays under Teams' 28 KB
SVG = "http://www.w3.org/2000/svg"
_DRAWING = threading.Lock()  # rc_context changes matplotlib's global settings: one chart at a time


@dataclass(frozen=True)
class TimeUnit:
    name: str  # plural, for the axis: "minutes"
    symbol: str  # for values: "min"
    seconds: int


# Smallest first; a unit is chosen while the longest median is under ``limit`` of it (90 s, 90 min, 72 h).
UNITS = ((TimeUnit("seconds", "s", 1), 90), (TimeUnit("minutes", "min", 60), 90),
         (TimeUnit("hours", "h", 3600), 72), (TimeUnit("days", "d", 86400), 0))


def unit_for(seconds: Sequence[float]) -> TimeUnit:
    """The unit that keeps the longest span readable: seconds under 90 s, minutes under 90 min, hours under
    three days, else days. No span at all: hours, the usual scale of incidents."""
    if not seconds:
        return UNITS[2][0]
    longest = max(seconds)
    return next((unit for unit, limit in UNITS if longest < limit * unit.seconds), UNITS[-1][0])


@dataclass(frozen=True)
class WeeklySeries:
    """What the chart plots: week labels, counts declared, medians in ``unit`` (None: nothing resolved)."""

    labels: tuple[str, ...]
    declared: tuple[int, ...]
    medians: tuple[float | None, ...]
    unit: TimeUnit

    @property
    def resolve_title(self) -> str:
        return f"Median time to resolve ({self.unit.name})"


def weekly_series(weeks: Sequence[Week]) -> WeeklySeries:
    spans = [w.median_time_to_resolve.total_seconds() for w in weeks if w.median_time_to_resolve is not None]
    unit = unit_for(spans)
    medians = tuple(round(w.median_time_to_resolve.total_seconds() / unit.seconds, 1)
                    if w.median_time_to_resolve is not None else None for w in weeks)
    return WeeklySeries(tuple(f"W{w.number:02d}" for w in weeks), tuple(w.declared for w in weeks), medians, unit)


UNIT_NAMES_FR = {"seconds": "secondes", "minutes": "minutes", "hours": "heures", "days": "jours"}


def weekly_chart_description(weeks: Sequence[Week], language: str = "en") -> str:
    """The chart in words, for its alt text and for mail clients that block images; each median as the
    dashboard's header writes it (``2 min 25 s``). In French when ``language`` is "fr"."""
    fr = language == "fr"
    if not weeks:
        return "Aucune semaine à représenter." if fr else "No weeks to chart."
    parts = []
    for week in weeks:
        span = week.median_time_to_resolve
        if fr:
            resolve = f", délai médian de résolution {human_duration(span)}" if span is not None else ""
            parts.append(f"{week.label} : {week.declared} déclaré(s){resolve}")
        else:
            resolve = f", median {human_duration(span)} to resolve" if span is not None else ""
            parts.append(f"{week.label}: {week.declared} declared{resolve}")
    unit = weekly_series(weeks).unit.name
    if fr:
        return (f"Incidents par semaine et délai médian de résolution (en {UNIT_NAMES_FR.get(unit, unit)}). "
                + " ; ".join(parts) + ".")
    return f"Incidents per week and median time to resolve (in {unit}). " + "; ".join(parts) + "."


def weekly_chart_rows(weeks: Sequence[Week]) -> list[dict[str, str | int]]:
    """The chart's figures as table rows, for people who cannot see it."""
    return [{"week": w.label, "starts": f"{w.starts:%Y-%m-%d}", "declared": w.declared, "resolved": w.resolved,
             "median": human_duration(w.median_time_to_resolve)} for w in weeks]


def _number(value: float) -> str:
    return f"{value:g}"


def weekly_figure(weeks: Sequence[Week]) -> Figure:
    """Two panels sharing the weeks: bars of incidents declared, the median time to resolve as a line."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    series = weekly_series(weeks)
    positions = list(range(len(series.labels)))
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    declared_axes, resolve_axes = figure.subplots(2, 1, sharex=True)
    bars = declared_axes.bar(positions, series.declared, color=BAR, width=0.64)
    declared_axes.bar_label(bars, labels=[str(n) if n else "" for n in series.declared], padding=2, color=INK)
    declared_axes.set_title("Incidents declared per week", loc="left", color=INK)
    declared_axes.set_ylabel("incidents")
    points = [(x, y) for x, y in zip(positions, series.medians, strict=True) if y is not None]
    # NaN breaks the line where a week resolved nothing, rather than joining across it.
    resolve_axes.plot(positions, [float("nan") if y is None else y for y in series.medians], color=LINE,
                      marker="o", linewidth=2)
    for x, y in points:
        resolve_axes.annotate(_number(y), (x, y), textcoords="offset points", xytext=(0, 6), ha="center", color=INK)
    resolve_axes.set_title(series.resolve_title, loc="left", color=INK)
    resolve_axes.set_ylabel(series.unit.name)
    top = max((y for _, y in points), default=0.0)
    resolve_axes.set_ylim(0, top * 1.25 if top else 1)
    declared_axes.set_ylim(0, max(series.declared, default=0) * 1.2 or 1)
    for axes in (declared_axes, resolve_axes):
        axes.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10], integer=axes is declared_axes))
        axes.grid(axis="y", color=GRID)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
    resolve_axes.set_xticks(positions, series.labels)
    resolve_axes.set_xlim(-0.6, max(len(positions), 1) - 0.4)
    return figure


def _configure_matplotlib() -> None:
    """Before the first import: the non-interactive backend, and a writable configuration and font-cache
    directory (Azure Functions' file system is read-only outside the temporary directory; without it
    matplotlib warns and rebuilds the font cache on every start). A value set by the operator wins."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "devopsbot-matplotlib"))


def render_weekly_chart(weeks: Sequence[Week], chart_format: Format = "png") -> bytes:
    """The chart as PNG (a 64-colour palette image) or SVG (with a <title> and the description). Blocking
    (about a second the first time, matplotlib's import; 0.2 s after): async callers run it in a thread."""
    _configure_matplotlib()
    from matplotlib import rc_context

    # Text as outlines in the bundled font (no system font needed); a fixed salt for the SVG's element ids.
    with _DRAWING, rc_context({"font.family": "DejaVu Sans", "font.size": 10, "svg.fonttype": "path",
                               "svg.hashsalt": "weekly-chart", "axes.edgecolor": INK, "axes.labelcolor": INK,
                               "xtick.color": INK, "ytick.color": INK}):
        figure = weekly_figure(weeks)
        buffer = io.BytesIO()
        if chart_format == "svg":
            figure.savefig(buffer, format="svg", metadata={"Date": None})
            return _titled_svg(buffer.getvalue(), weekly_chart_description(weeks))
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return _palette_png(buffer.getvalue())


def _palette_png(png: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        out = io.BytesIO()
        image.convert("RGB").quantize(colors=PNG_COLOURS).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _titled_svg(svg: bytes, description: str) -> bytes:
    """The SVG with a <title> and <desc> first, so it has an accessible name wherever it is opened."""
    import xml.etree.ElementTree as ET

    for prefix, uri in (("", SVG), ("xlink", "http://www.w3.org/1999/xlink"),
                        ("dc", "http://purl.org/dc/elements/1.1/"), ("cc", "http://creativecommons.org/ns#"),
                        ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#")):
        ET.register_namespace(prefix, uri)
    root = ET.fromstring(svg)  # noqa: S314 - matplotlib's own output
    title, desc = ET.Element(f"{{{SVG}}}title"), ET.Element(f"{{{SVG}}}desc")
    title.text, desc.text = "Incidents per week and median time to resolve", description
    root.insert(0, desc)
    root.insert(0, title)
    titled: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return titled
