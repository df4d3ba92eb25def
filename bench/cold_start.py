"""Cold start: `import function_app` in fresh processes, against importing the heavy packages eagerly.

Prints absolute medians and their ratio, measured in one run (the machine is noisy; compare ratios).
Run: .venv/bin/python bench/cold_start.py [--runs 9]

With --telemetry: `import function_app` plus starting telemetry as the first request does, with
APPLICATIONINSIGHTS_CONNECTION_STRING set (the Azure Monitor distro is imported and configured) and not.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["botbuilder.core", "botbuilder.integration.aiohttp", "aiohttp", "msal", "jinja2", "pydantic",
         "azure.data.tables.aio", "azure.identity.aio"]

LAZY = "import function_app"
# A connection string whose endpoints are a closed local port: configuring sends nothing.
FAKE_CONNECTION = ("InstrumentationKey=00000000-0000-0000-0000-000000000000;"
                   "IngestionEndpoint=http://127.0.0.1:9/;LiveEndpoint=http://127.0.0.1:9/")
START = "import function_app; from devopsbot.telemetry_setup import start_telemetry; start_telemetry({})"
TELEMETRY_OFF = START.format("{}")
TELEMETRY_ON = START.format(repr({"APPLICATIONINSIGHTS_CONNECTION_STRING": FAKE_CONNECTION}))
EAGER = "import function_app, " + ", ".join(HEAVY)


def measure(statement: str) -> float:
    """Seconds spent importing, inside a fresh interpreter (interpreter start-up excluded)."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--telemetry", action="store_true", help="with vs without Application Insights")
    args = parser.parse_args()
    runs = args.runs
    if args.telemetry:
        compare_telemetry(runs)
        return
    measure(EAGER)  # warm the file-system cache and .pyc files for both
    lazy, eager = [], []
    for _ in range(runs):  # interleaved, so both see the same machine load
        lazy.append(measure(LAZY))
        eager.append(measure(EAGER))
    lazy_median, eager_median = statistics.median(lazy), statistics.median(eager)
    print(f"import function_app (lazy, as shipped): median {lazy_median:.3f} s over {runs} fresh processes")
    print(f"same plus the heavy packages eagerly:   median {eager_median:.3f} s")
    print(f"ratio lazy/eager: {lazy_median / eager_median:.2f}  (target: at most 0.40; absolute target 0.35 s)")


def compare_telemetry(runs: int) -> None:
    measure(TELEMETRY_ON)  # warm the caches
    off, on = [], []
    for _ in range(runs):
        off.append(measure(TELEMETRY_OFF))
        on.append(measure(TELEMETRY_ON))
    off_median, on_median = statistics.median(off), statistics.median(on)
    print(f"without APPLICATIONINSIGHTS_CONNECTION_STRING: median {off_median:.3f} s over {runs} fresh processes")
    print(f"with it (distro imported and configured):      median {on_median:.3f} s")
    print(f"added by telemetry: {on_median - off_median:.3f} s")


if __name__ == "__main__":
    main()
