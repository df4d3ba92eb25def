"""OpenTelemetry behind the services' ports: spans for ``services.tracing_ports.traced`` and instruments for
``services.telemetry_ports``. Imported only when Application Insights is configured (devopsbot.telemetry_setup):
the OpenTelemetry packages stay out of cold start otherwise.

Exceptions are recorded by type only: their messages may quote what a person wrote in a private incident.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import Status, StatusCode

from services.telemetry_ports import Labels, Metric, Telemetry
from services.tracing_ports import CLIENT_SPAN, SpanHandle


class _Span:
    def __init__(self, span: trace.Span) -> None:
        self._span = span

    def set(self, name: str, value: str) -> None:
        self._span.set_attribute(name, value)


class OpenTelemetryTracer:
    """Implements ``services.tracing_ports.Tracer`` with an OpenTelemetry tracer (the global one, or a test's)."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    @contextlib.contextmanager
    def span(self, name: str, attributes: Mapping[str, str]) -> Iterator[SpanHandle]:
        given = dict(attributes)
        kind = trace.SpanKind.CLIENT if given.pop(CLIENT_SPAN, "") else trace.SpanKind.INTERNAL
        with self._tracer.start_as_current_span(name, kind=kind, attributes=given, record_exception=False,
                                                set_status_on_exception=False) as span:
            try:
                yield _Span(span)
            except BaseException as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                span.set_attribute("error.type", type(error).__name__)
                raise


class OpenTelemetryMetrics:
    """Implements ``services.telemetry_ports.Telemetry`` with OpenTelemetry instruments, made on first use."""

    def __init__(self, meter: metrics.Meter) -> None:
        self._meter = meter
        self._lock = threading.Lock()
        self._instruments: dict[str, Any] = {}
        self._gauges: dict[str, float] = {}

    def _instrument(self, metric: Metric) -> Any:
        with self._lock:
            if metric.name not in self._instruments:
                if metric.kind == "counter":
                    made: Any = self._meter.create_counter(metric.name, description=metric.help)
                elif metric.kind == "histogram":
                    made = self._meter.create_histogram(metric.name, unit="s", description=metric.help,
                                                        explicit_bucket_boundaries_advisory=list(metric.buckets))
                else:
                    made = self._meter.create_gauge(metric.name, description=metric.help)
                self._instruments[metric.name] = made
            return self._instruments[metric.name]

    def count(self, metric: Metric, labels: Labels | None = None, amount: float = 1.0) -> None:
        self._instrument(metric).add(amount, dict(labels or {}))

    def observe(self, metric: Metric, value: float, labels: Labels | None = None) -> None:
        self._instrument(metric).record(value, dict(labels or {}))

    def set(self, metric: Metric, value: float, labels: Labels | None = None) -> None:
        self._instrument(metric).set(value, dict(labels or {}))


class BothTelemetry:
    """Records to two recorders: /api/metrics keeps working when Application Insights also gets the figures."""

    def __init__(self, first: Telemetry, second: Telemetry) -> None:
        self._recorders = (first, second)

    def count(self, metric: Metric, labels: Labels | None = None, amount: float = 1.0) -> None:
        for recorder in self._recorders:
            recorder.count(metric, labels, amount)

    def observe(self, metric: Metric, value: float, labels: Labels | None = None) -> None:
        for recorder in self._recorders:
            recorder.observe(metric, value, labels)

    def set(self, metric: Metric, value: float, labels: Labels | None = None) -> None:
        for recorder in self._recorders:
            recorder.set(metric, value, labels)
