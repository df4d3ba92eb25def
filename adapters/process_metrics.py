"""The in-process metrics recorder: counters, gauges and fixed-bucket histograms behind one lock, written
out in the Prometheus text exposition format (version 0.0.4) for /api/metrics.

One lock, held only to add a number: the recorder is called from the event loop and from worker threads
alike, and a scrape sees every series consistently.
"""

from __future__ import annotations

import bisect
import math
import threading
from dataclasses import dataclass, field

from services.telemetry_ports import METRICS, Labels, Metric, install

SeriesKey = tuple[tuple[str, str], ...]
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class _Histogram:
    buckets: tuple[float, ...]
    counts: list[int] = field(default_factory=list)  # per bucket, not cumulative; the last is +Inf
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.buckets) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1


class InProcessMetrics:
    """Implements ``services.telemetry_ports.Telemetry``; ``exposition()`` is what /api/metrics serves."""

    def __init__(self, metrics: tuple[Metric, ...] = METRICS) -> None:
        self._metrics = {m.name: m for m in metrics}
        self._lock = threading.Lock()
        self._values: dict[str, dict[SeriesKey, float]] = {m.name: {} for m in metrics}
        self._histograms: dict[str, dict[SeriesKey, _Histogram]] = {m.name: {} for m in metrics}

    def count(self, metric: Metric, labels: Labels | None = None, amount: float = 1.0) -> None:
        key = _key(labels)
        with self._lock:
            series = self._values.setdefault(metric.name, {})
            series[key] = series.get(key, 0.0) + amount

    def set(self, metric: Metric, value: float, labels: Labels | None = None) -> None:
        with self._lock:
            self._values.setdefault(metric.name, {})[_key(labels)] = value

    def observe(self, metric: Metric, value: float, labels: Labels | None = None) -> None:
        key = _key(labels)
        with self._lock:
            series = self._histograms.setdefault(metric.name, {})
            if key not in series:
                series[key] = _Histogram(metric.buckets)
            series[key].observe(value)

    def value(self, metric: Metric, labels: Labels | None = None) -> float:
        """A counter's or gauge's current value (0 when never recorded)."""
        with self._lock:
            return self._values.get(metric.name, {}).get(_key(labels), 0.0)

    def exposition(self) -> str:
        """Every known metric, recorded or not, in the Prometheus text format."""
        lines: list[str] = []
        with self._lock:
            for name, metric in self._metrics.items():
                lines.append(f"# HELP {name} {_help(metric.help)}")
                lines.append(f"# TYPE {name} {metric.kind}")
                if metric.kind == "histogram":
                    for key, histogram in sorted(self._histograms.get(name, {}).items()):
                        lines.extend(_histogram_lines(name, key, histogram))
                else:
                    for key, value in sorted(self._values.get(name, {}).items()):
                        lines.append(f"{name}{_labels(key)} {_number(value)}")
        return "\n".join(lines) + "\n"


def _key(labels: Labels | None) -> SeriesKey:
    return tuple(sorted((labels or {}).items()))


def _histogram_lines(name: str, key: SeriesKey, histogram: _Histogram) -> list[str]:
    lines, running = [], 0
    for bound, count in zip((*histogram.buckets, math.inf), histogram.counts, strict=True):
        running += count
        lines.append(f"{name}_bucket{_labels((*key, ('le', _number(bound))))} {running}")
    lines.append(f"{name}_sum{_labels(key)} {_number(histogram.total)}")
    lines.append(f"{name}_count{_labels(key)} {histogram.count}")
    return lines


def _labels(key: SeriesKey) -> str:
    if not key:
        return ""
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in key) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 2 ** 53:
        return str(int(value))
    return repr(value)


_process: list[InProcessMetrics] = []
_process_lock = threading.Lock()


def process_metrics() -> InProcessMetrics:
    """The process's recorder, built and installed as the services' recorder on first call."""
    with _process_lock:
        if not _process:
            _process.append(InProcessMetrics())
            install(_process[0])
        return _process[0]
