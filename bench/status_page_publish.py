"""Publishing the status page after a public update, on Azurite (tables and blobs): time and storage requests.

Seeds incidents published on the page (a third of them resolved, in the history), then posts public updates
one after another; each is followed by its reactions (the cards refreshed on a recording notifier, the page
published). Prints p50/p99 of the time from the stored update to the published page, and per publication the
blob requests (one listing, one upload per changed file: the target) and the table requests (the record kept,
the records read in one query, the maintenance windows read in one query, the cards refreshed). ``--windows``
scheduled maintenance windows are on the page too.
Run: .venv/bin/python bench/status_page_publish.py [--incidents 30] [--updates 100] [--windows 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.blob_status_files import CLIENT_OPTIONS, BlobStatusFiles  # noqa: E402
from adapters.memory import RecordingNotifier  # noqa: E402
from devopsbot.bootstrap import Container  # noqa: E402
from devopsbot.local.stack import azurite_connection_string  # noqa: E402
from devopsbot.settings import Settings  # noqa: E402
from incident import commands  # noqa: E402
from incident.maintenance import ScheduleMaintenance  # noqa: E402
from tests.conftest import ALICE, OUTAGE_CRITERIA  # noqa: E402
from tests.support.processes import start_azurite, start_azurite_blob  # noqa: E402

SERVICES = ("checkout", "payments", "search", "identity", "mobile-api", "data-platform")


async def run(connection_string: str, incidents: int, updates: int, windows: int) -> None:
    from azure.storage.blob.aio import BlobServiceClient

    requests: Counter[str] = Counter()

    def counted(kind: str) -> Any:
        return lambda response: requests.update([f"{kind} {response.http_request.method}"])

    blobs = BlobServiceClient.from_connection_string(connection_string, raw_response_hook=counted("blob"),
                                                     **CLIENT_OPTIONS)
    container = Container(Settings(storage_connection_string=connection_string, table_prefix="benchstatus"),
                          notifier=RecordingNotifier(), table_client_options={"raw_response_hook": counted("table")},
                          status_files=BlobStatusFiles(blobs, "benchweb", public_read=True))
    bus = container.bus
    now = container.clock.now()
    for n in range(windows):  # every other one under way, the others to come
        start = now + timedelta(hours=n - 1 if n % 2 == 0 else n * 24)
        await bus.handle(ScheduleMaintenance(
            title=f"Maintenance {n}", description="Some requests may be slow.", components=(SERVICES[n % 6],),
            starts_at=start, ends_at=start + timedelta(hours=3), actor=ALICE, enforce_roles=False))
    ids = []
    for n in range(incidents):
        incident = await bus.handle(commands.DeclareIncident(
            title=f"Incident {n}", incident_type="outage", severity=("SEV1", "SEV2", "SEV3")[n % 3], actor=ALICE,
            roles={"commander": ALICE}, services=(SERVICES[n % len(SERVICES)],)))
        await bus.handle(commands.PostPublicUpdate(incident.id, f"We are looking into incident {n}.", ALICE))
        if n % 3 == 0:
            await bus.handle(commands.Resolve(incident.id, "fixed", ALICE, OUTAGE_CRITERIA))
        else:
            ids.append(incident.id)
        await bus.drain()
    times, blob_counts, table_counts = [], [], []
    for n in range(updates):
        await bus.handle(commands.PostPublicUpdate(ids[n % len(ids)], f"Update {n}: still working on it.", ALICE))
        requests.clear()
        started = time.perf_counter()
        await bus.drain()
        times.append(time.perf_counter() - started)
        blob_counts.append(sum(v for k, v in requests.items() if k.startswith("blob")))
        table_counts.append(sum(v for k, v in requests.items() if k.startswith("table")))
    last = dict(requests)
    await container.aclose()
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{updates} public updates, {incidents} incidents on the page ({len(ids)} active), {windows} "
          "maintenance windows:")
    print(f"  publish after a public update: p50 {statistics.median(times) * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms (target: p99 under 500 ms)")
    print(f"  blob requests per publication: {statistics.mean(blob_counts):.1f} "
          f"(one listing + one upload per changed file: 3 files change with each update, so 4)")
    print(f"  table requests per publication (record kept, records read, windows read, cards refreshed): "
          f"{statistics.mean(table_counts):.1f}")
    print(f"  the last publication's requests: {last}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=30)
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--windows", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-status-"))
    tables, table_port = start_azurite(work)
    blobs, blob_port = start_azurite_blob(work)
    try:
        asyncio.run(run(azurite_connection_string(table_port, blob_port), args.incidents, args.updates,
                        args.windows))
    finally:
        blobs.stop()
        tables.stop()


if __name__ == "__main__":
    main()
