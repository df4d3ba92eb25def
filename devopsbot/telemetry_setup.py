"""Application Insights through the Azure Monitor OpenTelemetry distro, started once per process and only
when APPLICATIONINSIGHTS_CONNECTION_STRING is set: without it nothing here is imported beyond this module.

Authentication is the app's managed identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING, as the Bicep sets
it: local authentication is off on the component). Logs keep going through the Functions host as before
(the heartbeat alert reads them there); the distro adds the spans and the metrics.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)
CONNECTION_STRING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
AUTHENTICATION_STRING = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"
TRACER_NAME = "devopsbot"
# Libraries devopsbot does not use (or whose calls Azure SDK tracing already covers): not instrumented, so
# not imported either, which keeps the first request's start shorter. Azure SDK calls (storage) stay traced.
NOT_INSTRUMENTED = ("django", "fastapi", "flask", "httpx", "psycopg2", "requests", "urllib", "urllib3")
_started: list[bool] = []
_lock = threading.Lock()


def managed_identity_client_id(authentication: str) -> str | None:
    """The ClientId of ``ClientId=<id>;Authorization=AAD`` (None: the system-assigned identity, or none)."""
    fields = dict(part.partition("=")[::2] for part in authentication.split(";") if "=" in part)
    return fields.get("ClientId") or None


def start_telemetry(environ: Mapping[str, str]) -> bool:
    """Configure the distro and route the services' spans and metrics to it; False when not configured."""
    connection = environ.get(CONNECTION_STRING, "").strip()
    if not connection:
        return False
    with _lock:
        if _started:
            return True
        from azure.monitor.opentelemetry import configure_azure_monitor
        from opentelemetry import metrics, trace

        from adapters.otel_telemetry import BothTelemetry, OpenTelemetryMetrics, OpenTelemetryTracer
        from adapters.process_metrics import process_metrics
        from services.telemetry_ports import install
        from services.tracing_ports import install_tracer

        options: dict[str, Any] = {"connection_string": connection, "disable_logging": True,
                                   "enable_live_metrics": False,
                                   "instrumentation_options": {name: {"enabled": False} for name in NOT_INSTRUMENTED}}
        authentication = environ.get(AUTHENTICATION_STRING, "")
        if "Authorization=AAD" in authentication:
            from azure.identity import ManagedIdentityCredential

            options["credential"] = ManagedIdentityCredential(client_id=managed_identity_client_id(authentication))
        configure_azure_monitor(**options)
        install_tracer(OpenTelemetryTracer(trace.get_tracer(TRACER_NAME)))
        install(BothTelemetry(process_metrics(), OpenTelemetryMetrics(metrics.get_meter(TRACER_NAME))))
        _started.append(True)
        log.info("Application Insights telemetry started (traces and metrics)")
        return True
