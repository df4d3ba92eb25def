"""Log lines that correlate: each record gets the operation id and the incident id of the turn, tick or
reaction that wrote it (from ``services.tracing_ports``), as ``record.operation_id`` and ``record.incident_id``
and, inside an operation, at the start of its message, since the Functions host forwards only the message
to Application Insights. Ids only: what people wrote never goes into a log line from here.
"""

from __future__ import annotations

import logging

from services.tracing_ports import INCIDENT_ID, OPERATION_ID


class CorrelationFilter(logging.Filter):
    """Adds the ids once per record, however many handlers carry the filter."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "correlated", False):
            return True
        operation, incident = OPERATION_ID.get(), INCIDENT_ID.get()
        record.operation_id, record.incident_id, record.correlated = operation, incident, True
        if operation:
            prefix = f"[op {operation}{f' incident {incident}' if incident else ''}] "
            # A message with arguments is %-formatted later: a % in the prefix must not count.
            record.msg = (prefix.replace("%", "%%") if record.args else prefix) + str(record.msg)
        return True


def correlate(logger: logging.Logger) -> None:
    """Put the filter on each of ``logger``'s handlers (the root's: the Functions worker's, the local host's)."""
    for handler in logger.handlers:
        if not any(isinstance(f, CorrelationFilter) for f in handler.filters):
            handler.addFilter(CorrelationFilter())
