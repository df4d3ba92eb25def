"""Server-side time to handle a declaration submit, on Azurite with a local Bot Connector double.

200 declarations through the /api/messages function (the Action.Execute of the declaration card), one
after another. The connector double answers every call after a fixed delay standing in for Teams.
Prints the median and p99 of the answer, the time until Teams has been told (done in the background),
the storage requests and Teams calls per declaration, and the ratio the issue sets a target for:
median answer / (slowest single outbound call + one storage transaction).
Run: .venv/bin/python bench/declaration_handling.py [--count 200] [--teams-delay-ms 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devopsbot import bootstrap  # noqa: E402
from devopsbot.bootstrap import Container  # noqa: E402
from devopsbot.local.stack import azurite_connection_string  # noqa: E402
from devopsbot.settings import Settings  # noqa: E402
from tests.functions import conftest as activities  # noqa: E402
from tests.support.connector import running_connector  # noqa: E402
from tests.support.processes import start_azurite  # noqa: E402


class RequestCounter:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()

    def __call__(self, request: Any) -> None:
        path = request.http_request.url.split("/devstoreaccount1/", 1)[-1].split("?")[0]
        self.requests["transaction" if path.startswith("$batch") else request.http_request.method] += 1


def form(n: int) -> dict[str, Any]:
    return {"form_id": f"bench-form-{n:06d}", "title": f"Checkout failing {n}", "type": "outage",
            "affects_customers": "true", "unplanned": "true", "long_running": "true", "severity": "SEV2",
            "commander": "29:alice", "services": "checkout", "broadcast": "broadcast"}


async def run(connection_string: str, count: int, delay: float) -> None:
    counter = RequestCounter()
    container = Container(Settings(storage_connection_string=connection_string, table_prefix="benchdeclare"),
                          table_client_options={"raw_request_hook": counter})
    bootstrap.reset_container(container)
    messages = activities.built_function("messages")
    async with running_connector() as connector:
        activities.SERVICE["url"] = connector.url
        await messages(activities.request("POST", "messages", activities.teams_message("help")))  # learns the team
        # One storage transaction, timed on its own: a status update is a read and a transaction.
        connector.delay = delay
        durations, told, requests_per, calls_per = [], [], [], []
        for n in range(count):
            counter.requests.clear()
            before = len(connector.sent)
            started = time.perf_counter()
            response = await messages(activities.request(
                "POST", "messages", activities.teams_invoke("declare.submit", form(n))))
            durations.append(time.perf_counter() - started)
            await container.bus.drain()  # the space and the announcement, posted in the background
            told.append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_body()
            requests_per.append(sum(counter.requests.values()))
            calls_per.append(len(connector.sent) - before)
        transaction = await time_one_transaction(container)
    await container.aclose()
    durations.sort()
    median = statistics.median(durations)
    p99 = durations[max(0, int(len(durations) * 0.99) - 1)]
    print(f"{count} declarations, Teams double answering after {delay * 1000:.0f} ms:")
    print(f"  answer to the submit: median {median * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"  until the space and the announcement are posted: median {statistics.median(told) * 1000:.1f} ms")
    print(f"  storage requests per declaration: {statistics.median(requests_per):.0f} (median); "
          f"Teams calls sent per declaration: {statistics.median(calls_per):.0f} (plus the members lookup)")
    print(f"  one storage transaction: {transaction * 1000:.1f} ms (median of 30)")
    print(f"  ratio median / (slowest outbound call {delay * 1000:.0f} ms + one transaction): "
          f"{median / (delay + transaction):.2f}  (target: at most 1.5)")


async def time_one_transaction(container: Container) -> float:
    from incident.model import Person

    repository = container.dependencies.incidents
    [incident] = [i for i in await repository.list_open()][:1]
    timings = []
    for n in range(30):
        loaded = await repository.get(incident.id)
        loaded.post_update(actor=Person("29:alice", "Alice"), at=container.clock.now(), text=f"update {n}")
        started = time.perf_counter()
        await repository.save(loaded)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--teams-delay-ms", type=float, default=40.0)
    args = parser.parse_args()
    service, port = start_azurite(Path(tempfile.mkdtemp(prefix="bench-azurite-")))
    try:
        asyncio.run(run(azurite_connection_string(port), args.count, args.teams_delay_ms / 1000))
    finally:
        service.stop()


if __name__ == "__main__":
    main()
