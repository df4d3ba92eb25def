"""Alert storm: --notifications alert notifications from --senders concurrent senders, mostly repeats.

--alerts distinct alerts over --services services (generic JSON, HMAC-signed), each sent once first, then
repeats to make up the total (95 % repeats with the defaults), to the app as the local Functions host
serves it (this process), Table Storage on Azurite. The shipped organisation file's [alerts] rules decide:
one incident per service. Teams is a recording double (the storm is about storage, not Teams' sends).
Prints accepted notifications per second, answer p50/p99, storage requests per repeat, incidents opened,
and the busiest partition's writes per second during the repeats (Table Storage allows 2,000 entities/s
per partition). Fails (exit 1) when anything is lost or doubled.
Run: .venv/bin/python bench/alert_storm.py [--notifications 10000] [--senders 50] [--alerts 50] [--services 5]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from adapters.memory import RecordingNotifier  # noqa: E402
from devopsbot import bootstrap  # noqa: E402
from devopsbot.bootstrap import Container  # noqa: E402
from devopsbot.local.stack import azurite_connection_string  # noqa: E402
from devopsbot.settings import Settings  # noqa: E402
from tests.support.processes import start_azurite  # noqa: E402
from tests.support.storm import percentile, served_app  # noqa: E402

SECRET = secrets.token_urlsafe(24)  # this run's generic secret
SERVICES = ("checkout", "payments", "search", "identity", "mobile-api", "data-platform")
WRITES = ("POST", "PUT", "PATCH", "MERGE", "DELETE")


class Requests:
    """Every storage request, by phase: (method, table, partition)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def __call__(self, request: Any) -> None:
        http = request.http_request
        path = unquote(http.url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0])
        table = path.split("(", 1)[0].split("/")[-1]
        partition = path.split("PartitionKey='", 1)[1].split("'", 1)[0] if "PartitionKey='" in path else ""
        self.seen.append((http.method, table, partition))


def body(n: int, services: int) -> bytes:
    return json.dumps({"id": f"bench-alert-{n}", "summary": f"Bench alert {n}", "severity": "high",
                       "service": SERVICES[n % services], "started_at": "2026-11-27T10:00:00Z"}).encode()


async def send(session: aiohttp.ClientSession, url: str, payload: bytes) -> tuple[int, float, dict[str, Any]]:
    signature = "sha256=" + hmac.new(SECRET.encode(), payload, hashlib.sha256).hexdigest()
    started = time.perf_counter()
    async with session.post(f"{url}/api/alerts/generic", data=payload,
                            headers={"X-Devopsbot-Signature": signature, "Content-Type": "application/json"}) as r:
        answer = await r.json()
        return r.status, time.perf_counter() - started, answer


async def phase(url: str, payloads: list[bytes], senders: int) -> tuple[list[tuple[int, float, dict[str, Any]]], float]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for payload in payloads:
        queue.put_nowait(payload)
    results: list[tuple[int, float, dict[str, Any]]] = []

    async def sender(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            results.append(await send(session, url, queue.get_nowait()))

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=senders)) as session:
        await asyncio.gather(*(sender(session) for _ in range(senders)))
    return results, time.perf_counter() - started


async def run(connection_string: str, notifications: int, senders: int, alerts: int, services: int) -> int:
    requests = Requests()
    container = Container(Settings(storage_connection_string=connection_string, table_prefix="benchalerts",
                                   alert_secrets=(("generic", SECRET),)), notifier=RecordingNotifier(),
                          table_client_options={"raw_request_hook": requests})
    bootstrap.reset_container(container)
    try:
        async with served_app() as url:
            firsts, _ = await phase(url, [body(n, services) for n in range(alerts)], senders)  # each alert's first
            await container.bus.drain()
            requests.seen.clear()
            repeats = [body(n % alerts, services) for n in range(notifications - alerts)]
            results, seconds = await phase(url, repeats, senders)
        await container.bus.drain()
        stored = await container.dependencies.signals.since(container.clock.now() - timedelta(hours=1))
        opened = await container.dependencies.incidents.list_open()
    finally:
        await container.aclose()
        bootstrap.reset_container(None)
    statuses = Counter(status for status, _, _ in results)
    first_statuses = Counter(status for status, _, _ in firsts)
    durations = [d for _, d, _ in results]
    writes = Counter((table, partition) for method, table, partition in requests.seen if method in WRITES)
    (busiest_table, busiest_partition), busiest = writes.most_common(1)[0] if writes else (("-", "-"), 0)
    deliveries = sum(s.deliveries for s in stored)
    print(f"alert storm: {notifications} notifications ({alerts} distinct alerts over {services} services, "
          f"{len(repeats)} repeats) from {senders} senders")
    print(f"  repeats: {len(results) / seconds:.0f} accepted/s; answer p50 "
          f"{statistics.median(durations) * 1000:.0f} ms, p99 {percentile(durations, 0.99) * 1000:.0f} ms; "
          f"statuses {dict(statuses)}")
    print(f"  storage requests per repeat: {len(requests.seen) / len(repeats):.2f} (2 without contention; more when "
          f"deliveries of one alert are counted at the same instant and one retries); "
          f"busiest partition {busiest_table}/{busiest_partition}: {busiest / seconds:.0f} writes/s "
          f"(Table Storage: 2,000 entities/s per partition)")
    print(f"  first deliveries: statuses {dict(first_statuses)}; "
          f"{sum(a['signals'][0]['outcome'].startswith('declared') for _, _, a in firsts if 'signals' in a)} declared")
    print(f"  signals stored: {len(stored)} (expected {alerts}), deliveries counted: {deliveries} "
          f"(expected {notifications}), incidents opened: {len(opened)} (expected {services})")
    ok = (set(statuses) == set(first_statuses) == {202} and len(stored) == alerts and deliveries == notifications
          and len(opened) == services)
    print("  result: " + ("nothing lost or doubled" if ok else "FAILED: something was lost or doubled"))
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--alerts", type=int, default=50)
    parser.add_argument("--services", type=int, default=5, choices=range(1, len(SERVICES) + 1))
    args = parser.parse_args()
    service, port = start_azurite(Path(tempfile.mkdtemp(prefix="bench-azurite-")))
    try:
        code = asyncio.run(run(azurite_connection_string(port), args.notifications, args.senders, args.alerts,
                               args.services))
    finally:
        service.stop()
    raise SystemExit(code)


if __name__ == "__main__":
    main()
