"""Many hosts, one store: the declaration storm on 1 and on 3 `devopsbot serve` hosts, and storage per operation.

Each fleet (tests/support/hosts.py) runs its hosts on one Azurite behind a round-robin front, every host
ticking its due work every 2 s (host i at offset i), Teams on the connector double, SMTP on aiosmtpd, and
every storage request counted by table and partition by a proxy in front of Azurite. Per fleet: the storm
(--declarations declarations from --clients clients, 10 % repeated by Teams, 5 % double clicks), then 50
concurrent updates on one incident, then an alert storm (--alerts notifications, 95 % repeats), then
--idle seconds of ticks alone. Prints declarations per second, answer p50/p99, the hosts' CPU per declaration,
storage requests per declaration / update / tick / alert, the busiest partitions' entity writes per
operation, and the load at which the busiest one reaches Table Storage's 2,000 entities/s per partition.
Run: .venv/bin/python bench/multi_host.py [--declarations 200] [--clients 50] [--alerts 500] [--idle 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from devopsbot.local.stack import azurite_connection_string  # noqa: E402
from tests.functions import conftest as activities  # noqa: E402
from tests.support.hosts import Fleet, running_fleet, send_alerts  # noqa: E402
from tests.support.processes import start_azurite  # noqa: E402
from tests.support.storage_count import StorageCount  # noqa: E402
from tests.support.storm import INCIDENT_ID, StormPlan, declaration_form, percentile, post_activity, run_storm  # noqa: E402

PARTITION_TARGET = 2000  # entities per second per partition (Azure Table Storage scalability target)
TICK = 2  # seconds between one host's due-work ticks


async def quiet(fleet: Fleet, settle: float = 2.0) -> None:
    seen, last = -1, time.monotonic()
    while time.monotonic() - last < settle:
        if len(fleet.connector.sent) != seen:
            seen, last = len(fleet.connector.sent), time.monotonic()
        await asyncio.sleep(0.1)


def per_operation(window: StorageCount, operations: int, top: int = 4) -> tuple[float, list[str]]:
    """Requests per operation, and the busiest partitions' entity writes per operation."""
    lines = [f"{table}/{partition}: {n / operations:.2f}"
             for (table, partition), n in window.entities_written().most_common(top)]
    return len(window.requests) / operations, lines


def shared_writes(window: StorageCount) -> Counter[tuple[str, str]]:
    """Entity writes to partitions every incident shares (not one incident's own, not idempotency's hash
    buckets): where Table Storage's per-partition limit bites first."""
    return Counter({key: n for key, n in window.entities_written().items()
                    if not INCIDENT_ID.fullmatch(key[1]) and key[0] != "idempotency"
                    and not key[1].startswith("conversation:")})


async def measure(azurite: str, hosts: int, declarations: int, clients: int, alerts: int,
                  idle: float) -> dict[str, float]:
    figures: dict[str, float] = {}
    prefix = f"bench{hosts}h{int(time.time()) % 100000}"
    async with running_fleet(azurite, Path(tempfile.mkdtemp(prefix="bench-fleet-")), hosts=hosts, prefix=prefix,
                             tick=TICK) as fleet:
        await run_storm(fleet.url, StormPlan(declarations=3, clients=1, replays=0, reclicks=0, prefix="warm"))
        await quiet(fleet)
        plan = StormPlan(declarations=declarations, clients=clients, replays=declarations // 10,
                         reclicks=declarations // 20, prefix="benchfleet")
        window, cpu, started = fleet.storage.since(), fleet.host_cpu_seconds(), time.perf_counter()
        result = await run_storm(fleet.url, plan)
        answered = time.perf_counter() - started
        await quiet(fleet)
        told = time.perf_counter() - started
        statuses = Counter(o.status for o in result.outcomes)
        if set(statuses) != {200}:
            raise SystemExit(f"{hosts} host(s): not every delivery was answered with 200: {dict(statuses)}")
        durations = [o.seconds for o in result.outcomes]
        figures |= {"rate": declarations / answered, "p50": statistics.median(durations),
                    "p99": percentile(durations, 0.99),
                    "cpu": (fleet.host_cpu_seconds() - cpu) / declarations}
        requests, busiest = per_operation(window, declarations)
        shared = shared_writes(window)
        (table, partition), writes = shared.most_common(1)[0]
        writes_per_declaration = writes / declarations
        print(f"{hosts} host(s): {len(result.outcomes)} deliveries ({declarations} declarations) from {clients} "
              f"clients: {figures['rate']:.1f} declarations/s answered, everyone told after {told:.1f} s")
        print(f"  answer p50 {figures['p50'] * 1000:.0f} ms, p99 {figures['p99'] * 1000:.0f} ms; hosts' CPU "
              f"{figures['cpu'] * 1000:.0f} ms per declaration (reactions and {hosts} host(s)' ticks included)")
        print(f"  storage: {requests:.1f} requests per declaration (reactions and ticks included); entity writes "
              f"per declaration, busiest: {'; '.join(busiest)}")
        print(f"  busiest shared partition {table}/{partition}: {writes_per_declaration:.2f} entity writes per "
              f"declaration, {writes / told:.0f}/s here; reaches {PARTITION_TARGET}/s at "
              f"{PARTITION_TARGET / writes_per_declaration:.0f} declarations/s")
        figures["shared_per_declaration"] = writes_per_declaration

        async with aiohttp.ClientSession() as session:
            _, declared = await post_activity(session, fleet.url, activities.teams_invoke(
                "declare.submit", declaration_form(1, prefix="benchupdates")))
            [incident_id] = set(INCIDENT_ID.findall(json.dumps(declared)))
            await quiet(fleet)
            window = fleet.storage.since()
            clicks = [activities.teams_invoke("incident.update", {"incident_id": incident_id, "text": f"Update {n}"})
                      for n in range(50)]
            await asyncio.gather(*(post_activity(session, fleet.url, click) for click in clicks))
        await quiet(fleet)
        requests, busiest = per_operation(window, 50)
        print(f"  50 concurrent updates on one incident: {requests:.1f} requests per update (conflict retries "
              f"and card refreshes included); entity writes per update: {'; '.join(busiest)}")

        distinct = max(1, alerts // 20)
        await send_alerts(fleet.url, list(range(distinct)), 5, senders=min(distinct, 25))
        await quiet(fleet)
        window = fleet.storage.since()
        repeats = [n % distinct for n in range(alerts - distinct)]
        started = time.perf_counter()
        sent = await send_alerts(fleet.url, repeats, 5, senders=30)
        seconds = time.perf_counter() - started
        requests, busiest = per_operation(window, len(repeats))
        repeat_writes = window.entities_written().most_common(1)
        (table, partition), writes = repeat_writes[0] if repeat_writes else (("-", "-"), 0)
        print(f"  alert storm: {len(repeats)} repeats of {distinct} alerts at {len(sent) / seconds:.0f}/s: "
              f"{requests:.2f} requests per repeat; busiest {table}/{partition}: {writes / len(repeats):.2f} "
              f"entity writes per repeat, {writes / seconds:.0f}/s here")
        figures["alert_rate"] = len(sent) / seconds

        window = fleet.storage.since()
        await asyncio.sleep(idle)
        ticks = hosts * idle / TICK
        kinds = Counter(r.kind for r in window.requests)
        print(f"  idle: {len(window.requests) / ticks:.2f} requests per tick ({dict(kinds)} over {ticks:.0f} ticks "
              f"of {hosts} host(s))")
    return figures


async def run(azurite: str, declarations: int, clients: int, alerts: int, idle: float) -> None:
    one = await measure(azurite, 1, declarations, clients, alerts, idle)
    three = await measure(azurite, 3, declarations, clients, alerts, idle)
    print(f"ratio 3 hosts / 1 host: declarations/s {three['rate'] / one['rate']:.2f}, p99 "
          f"{three['p99'] / one['p99']:.2f}, CPU per declaration {three['cpu'] / one['cpu']:.2f}, "
          f"alert repeats/s {three['alert_rate'] / one['alert_rate']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of ticks alone, to count a tick")
    args = parser.parse_args()
    service, port = start_azurite(Path(tempfile.mkdtemp(prefix="bench-azurite-")))
    try:
        asyncio.run(run(azurite_connection_string(port), args.declarations, args.clients, args.alerts, args.idle))
    finally:
        service.stop()


if __name__ == "__main__":
    main()
