"""Peak memory after 1,000 declarations handled by one process (the in-memory stores, or Azurite).

The declarations go through the /api/messages function (the declaration card's submit) one after another,
Teams on the local connector double, their spaces and announcements posted in the background as usual.
Prints the process's peak resident memory (what Azure Functions counts against a plan), before the first
declaration and after the last, and with --tracemalloc the peak of Python's own allocations too (slower).
Run: .venv/bin/python bench/memory_peak.py [--declarations 1000] [--azurite] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import tracemalloc
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
from tests.support.storm import declaration_form  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


async def run(connection_string: str, declarations: int) -> None:
    in_memory = connection_string == "memory"
    container = Container(Settings(storage_connection_string=connection_string, table_prefix="benchmemory"),
                          in_memory=in_memory)
    bootstrap.reset_container(container)
    messages = activities.built_function("messages")

    async def declare(n: int) -> None:
        response = await messages(activities.request("POST", "messages", activities.teams_invoke(
            "declare.submit", declaration_form(n, prefix="memory"))))
        if response.status_code != 200 or b"Declared INC-" not in response.get_body():
            raise SystemExit(f"declaration {n} failed: {response.get_body()[:300]!r}")

    async with running_connector() as connector:
        activities.SERVICE["url"] = connector.url
        await declare(0)  # imports, tables, caches: the baseline includes them
        await container.bus.drain()
        connector.sent.clear()  # the double's record of Teams traffic is the bench's memory, not the app's
        before = peak_rss_mb()
        for n in range(1, declarations + 1):
            await declare(n)
            if n % 50 == 0:
                await container.bus.drain()
                connector.sent.clear()
        await container.bus.drain()
        stored = len(await container.dependencies.incidents.list_open())
    await container.aclose()
    after = peak_rss_mb()
    where = "the in-memory stores" if in_memory else "Azurite"
    print(f"{declarations} declarations on {where} ({stored} incidents open at the end):")
    grown = after - before
    print(f"  peak resident memory: {after:.0f} MB (target: under 200 MB); {before:.0f} MB after the first "
          f"declaration, so {grown:.0f} MB for the rest ({grown * 1024 / declarations:.0f} KB each)")
    if tracemalloc.is_tracing():
        _, peak = tracemalloc.get_traced_memory()
        print(f"  peak of Python's own allocations (tracemalloc): {peak / 1024 / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1000)
    parser.add_argument("--azurite", action="store_true", help="Table Storage on Azurite, not in memory")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start()
    service: Any = None
    connection_string = "memory"
    if args.azurite:
        service, port = start_azurite(Path(tempfile.mkdtemp(prefix="bench-azurite-")))
        connection_string = azurite_connection_string(port)
    try:
        asyncio.run(run(connection_string, args.declarations))
    finally:
        if service is not None:
            service.stop()


if __name__ == "__main__":
    main()
