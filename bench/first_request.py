"""Cold start as a user meets it: the first /api/messages request answered by a fresh process.

Each run starts a new interpreter that does what the Functions host does (imports ``function_app`` and serves
its routes with the local host; nothing is built before the first request), then sends it ``@devopsbot
declare`` from Teams the moment its port opens: the answer needs the container, the bot, a members lookup
from Teams (the local connector double) and storage (Azurite, tables created by a warm-up run, as in
production). Prints medians over --runs fresh processes: from spawning the process to the answer, the part
before the port opened, the first request alone, and the same request sent again (warm), with the ratio.
Run: .venv/bin/python bench/first_request.py [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devopsbot.local.stack import azurite_connection_string  # noqa: E402
from tests.functions import conftest as activities  # noqa: E402
from tests.support.connector import running_connector  # noqa: E402
from tests.support.processes import free_port, port_open, start_azurite  # noqa: E402

HOST = """
import asyncio, sys
from devopsbot.local.host import LocalHost
import function_app

async def main():
    host = LocalHost(function_app.app, port=int(sys.argv[1]))
    await host.start()
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def one_run(environment: dict[str, str], session: aiohttp.ClientSession) -> tuple[float, float, float, float]:
    port = free_port()
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", HOST, str(port), cwd=ROOT, env=environment,
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not port_open(port):
            if process.returncode is not None:
                raise SystemExit(f"the host exited: {(await process.stderr.read()).decode() if process.stderr else ''}")
            await asyncio.sleep(0.005)
        listening = time.perf_counter()
        timings = []
        for _ in range(2):
            sent = time.perf_counter()
            async with session.post(f"http://127.0.0.1:{port}/api/messages",
                                    json=activities.teams_message("declare Checkout failing")) as response:
                body = await response.json()
                if response.status != 200 or not body.get("activities"):
                    raise SystemExit(f"unexpected answer {response.status}: {body}")
            timings.append(time.perf_counter() - sent)
        return listening + timings[0] - started, listening - started, timings[0], timings[1]
    finally:
        process.terminate()
        await process.wait()


async def run(connection_string: str, runs: int) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    environment.update(DEVOPSBOT_STORAGE_CONNECTION_STRING=connection_string, DEVOPSBOT_TABLE_PREFIX="benchfirst",
                       DEVOPSBOT_LOG_LEVEL="WARNING")
    async with running_connector() as connector, aiohttp.ClientSession() as session:
        activities.SERVICE["url"] = connector.url
        await one_run(environment, session)  # creates the tables and warms the file cache: not counted
        results = [await one_run(environment, session) for _ in range(runs)]
    total, startup, first, warm = (statistics.median(column) for column in zip(*results, strict=True))
    print(f"first /api/messages answer in a fresh process (median of {runs}):")
    print(f"  spawn to answer: {total:.3f} s  (target: under 1.5 s)")
    print(f"  of which interpreter, imports and host until the port opened: {startup:.3f} s")
    print(f"  of which the first request itself: {first * 1000:.0f} ms; the same request again: "
          f"{warm * 1000:.0f} ms (ratio first/warm {first / warm:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    service, port = start_azurite(Path(tempfile.mkdtemp(prefix="bench-azurite-")))
    try:
        asyncio.run(run(azurite_connection_string(port), runs))
    finally:
        service.stop()


if __name__ == "__main__":
    main()
