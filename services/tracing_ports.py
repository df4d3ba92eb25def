"""Operations that correlate: each Teams turn, command, reaction, timer tick, mail and Graph call runs inside
``traced(name, incident_id)``, which names the operation (one id for everything it leads to, reactions
included), the incident, and opens a span when a tracer is installed (``devopsbot.telemetry_setup``, only
when Application Insights is configured). The log filter (``devopsbot.log_context``) puts both ids on every
log line. Attributes are ids and code names only: never a title or any text of an incident.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Protocol

OPERATION_ID: ContextVar[str] = ContextVar("devopsbot_operation_id", default="")
INCIDENT_ID: ContextVar[str] = ContextVar("devopsbot_incident_id", default="")
INCIDENT_ATTRIBUTE = "devopsbot.incident_id"
OPERATION_ATTRIBUTE = "devopsbot.operation_id"


class SpanHandle(Protocol):
    def set(self, name: str, value: str) -> None: ...


class Tracer(Protocol):
    """Opens spans; ``span`` is a context manager yielding a handle to add attributes."""

    def span(self, name: str, attributes: Mapping[str, str]) -> contextlib.AbstractContextManager[SpanHandle]: ...


class _NoSpan:
    def set(self, name: str, value: str) -> None:
        return None


class NullTracer:
    """Opens no spans: the tracer until Application Insights is configured."""

    def span(self, name: str, attributes: Mapping[str, str]) -> contextlib.AbstractContextManager[SpanHandle]:
        return contextlib.nullcontext(_NoSpan())


_installed: list[Tracer] = [NullTracer()]


def install_tracer(tracer: Tracer) -> Tracer:
    """Make ``tracer`` the process's tracer; returns the one it replaces (tests put it back)."""
    previous, _installed[0] = _installed[0], tracer
    return previous


class Operation:
    """What runs inside ``traced``: learns its incident late (a declaration knows its id once stored)."""

    def __init__(self, span: SpanHandle) -> None:
        self._span = span

    def incident(self, incident_id: str) -> None:
        if incident_id:
            INCIDENT_ID.set(incident_id)  # reset when ``traced`` ends (it restores the context it found)
            self._span.set(INCIDENT_ATTRIBUTE, incident_id)


@contextlib.contextmanager
def traced(name: str, incident_id: str = "", attributes: Mapping[str, str] | None = None) -> Iterator[Operation]:
    """Run the block as the operation ``name`` (inside the current one, if any) about ``incident_id``."""
    operation_token = OPERATION_ID.set(OPERATION_ID.get() or uuid.uuid4().hex[:16])
    incident_token = INCIDENT_ID.set(incident_id or INCIDENT_ID.get())
    try:
        given = {OPERATION_ATTRIBUTE: OPERATION_ID.get(), **(attributes or {})}
        if INCIDENT_ID.get():
            given[INCIDENT_ATTRIBUTE] = INCIDENT_ID.get()
        with _installed[0].span(name, given) as span:
            yield Operation(span)
    finally:
        INCIDENT_ID.reset(incident_token)
        OPERATION_ID.reset(operation_token)


CLIENT_SPAN = "devopsbot.client_call"  # marks a call to another service: exported as a dependency (kind CLIENT)
_NO_SPAN = contextlib.nullcontext(_NoSpan())


def dependency(name: str, attributes: Mapping[str, str]) -> contextlib.AbstractContextManager[SpanHandle]:
    """A span for one call to another service (a storage request), inside the current operation; nothing is
    built when no tracer is installed."""
    tracer = _installed[0]
    if isinstance(tracer, NullTracer):
        return _NO_SPAN
    return tracer.span(name, {**attributes, CLIENT_SPAN: "true"})
