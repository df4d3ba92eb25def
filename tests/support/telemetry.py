"""A fresh in-process metrics recorder installed for one test, and the previous one put back after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from adapters.process_metrics import InProcessMetrics, process_metrics
from services.telemetry_ports import install


@contextmanager
def recording_metrics() -> Iterator[InProcessMetrics]:
    process_metrics()  # the process's own recorder exists first, so it cannot replace this one later
    fresh = InProcessMetrics()
    previous = install(fresh)
    try:
        yield fresh
    finally:
        install(previous)
