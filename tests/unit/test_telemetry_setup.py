"""Application Insights telemetry starts only when its connection string is set, and only then are the
OpenTelemetry packages imported (cold start). Each case runs in a fresh interpreter: the distro is global."""

from __future__ import annotations

import os
import subprocess
import sys

from devopsbot.settings import ROOT
from devopsbot.telemetry_setup import managed_identity_client_id

FAKE = ("InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        "IngestionEndpoint=http://127.0.0.1:9/;LiveEndpoint=http://127.0.0.1:9/")
CHECK = """
import sys
import function_app
from devopsbot.telemetry_setup import start_telemetry
from services.tracing_ports import _installed
started = start_telemetry({environ})
print(started, "opentelemetry" in sys.modules, "azure.monitor.opentelemetry" in sys.modules,
      type(_installed[0]).__name__)
"""


def run(environ: dict[str, str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVOPSBOT_", "APPLICATIONINSIGHTS_"))}
    result = subprocess.run([sys.executable, "-c", CHECK.format(environ=repr(environ))], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    return result.stdout.split()


def test_without_a_connection_string_nothing_of_opentelemetry_is_imported() -> None:
    assert run({}) == ["False", "False", "False", "NullTracer"]


def test_with_a_connection_string_the_distro_starts_and_the_services_spans_go_to_it() -> None:
    assert run({"APPLICATIONINSIGHTS_CONNECTION_STRING": FAKE}) == ["True", "True", "True", "OpenTelemetryTracer"]


def test_the_managed_identity_is_the_one_the_bicep_names() -> None:
    assert managed_identity_client_id("ClientId=0c9a8b7d-6e5f;Authorization=AAD") == "0c9a8b7d-6e5f"
    assert managed_identity_client_id("Authorization=AAD") is None
