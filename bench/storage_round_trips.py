"""Storage round trips per incident change (declare, update, acknowledge) against a real Azurite.

Counts every HTTP request the Table Storage client sends, retries included, and names each one.
Run: .venv/bin/python bench/storage_round_trips.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.memory import RecordingNotifier  # noqa: E402
from devopsbot.bootstrap import Container  # noqa: E402
from devopsbot.local.stack import azurite_connection_string  # noqa: E402
from devopsbot.organisation import load_organisation  # noqa: E402
from devopsbot.settings import Settings  # noqa: E402
from incident import commands  # noqa: E402
from incident.model import Person  # noqa: E402
from tests.support.processes import start_azurite  # noqa: E402

ALICE = Person("29:alice", "Alice Martin")


class RequestCounter:
    """A raw_request_hook: azure-core calls it for every HTTP request sent, each retry included."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()

    def __call__(self, request: Any) -> None:
        http = request.http_request
        path = http.url.split("/devstoreaccount1/", 1)[-1].split("?")[0]
        kind = "transaction" if path.startswith("$batch") else f"{http.method} {path.split('(')[0]}"
        self.requests[kind] += 1

    def take(self) -> Counter[str]:
        taken, self.requests = self.requests, Counter()
        return taken


async def run(connection_string: str) -> None:
    counter = RequestCounter()
    container = Container(Settings(storage_connection_string=connection_string, table_prefix="bench"),
                          policy=load_organisation(ROOT / "config" / "organisation.toml"),
                          notifier=RecordingNotifier(), table_client_options={"raw_request_hook": counter})
    bus = container.bus
    declare = commands.DeclareIncident(title="Checkout failing", incident_type="outage", severity="SEV2",
                                       actor=ALICE)
    await bus.handle(declare)  # first use creates the tables; not what we measure
    await bus.drain()
    counter.take()
    incident = await bus.handle(declare)
    rows = [("declare", counter.take())]
    # Reactions run in the background after a command returns: each change is counted alone, then them.
    await bus.drain()
    rows.append(("  its reactions", counter.take()))
    await bus.handle(commands.PostUpdate(incident.id, "Rolling back", ALICE))
    rows.append(("post update", counter.take()))
    await bus.drain()
    rows.append(("  its reactions", counter.take()))
    await bus.handle(commands.Acknowledge(incident.id, ALICE))
    rows.append(("acknowledge", counter.take()))
    await bus.drain()
    rows.append(("  its reactions", counter.take()))
    for name, requests in rows:
        detail = ", ".join(f"{n} × {k}" for k, n in sorted(requests.items()))
        print(f"{name:<16} {sum(requests.values())} requests, {requests['transaction']} transaction "
              f"({detail})")
    print("Each change writes the incident's rows in exactly one entity-group transaction; a declaration "
          "also allocates its id (read + conditional update) and writes its open-index row. Reactions "
          "schedule the first deadlines (declare) and reload the incident to refresh its cards.")
    await container.aclose()


def main() -> None:
    service, port = start_azurite(Path(tempfile.mkdtemp(prefix="bench-azurite-")))
    try:
        asyncio.run(run(azurite_connection_string(port)))
    finally:
        service.stop()


if __name__ == "__main__":
    main()
