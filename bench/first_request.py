"""Cold start as a user meets it: the first /api/messages request answered by a fresh process, cold and warmed.

Each run starts a new interpreter that does what the Functions host does (imports ``function_app`` and serves
its routes with the local host), then sends it ``@devopsbot declare`` from Teams: the answer needs the
container, the bot, a members lookup from Teams (the local connector double) and storage (Azurite, tables
created by a first run, as in production). Two kinds of process, interleaved:

- cold: DEVOPSBOT_BACKGROUND_WARMUP=false, nothing built before the first request, sent the moment the port
  opens (what every process did before the warm-up);
- warmed: the host calls the warmup function in the background once its port is open (as Azure calls the
  warmup trigger before traffic); the first request is sent when it has finished.

Prints medians over --runs processes of each kind: the first request, the same request again (warm), and the
ratios first/warm (target for a warmed process: at most 3) and cold first/warmed first.
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
    await asyncio.gather(*host.warm_tasks)  # none when the warm-up is off
    print("warm", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def one_run(environment: dict[str, str], session: aiohttp.ClientSession, *, warmed: bool
                  ) -> tuple[float, float, float, float]:
    """(port open after spawning, warm after spawning, first answer, the same request again), in seconds."""
    port = free_port()
    environment = {**environment, "DEVOPSBOT_BACKGROUND_WARMUP": "true" if warmed else "false"}
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", HOST, str(port), cwd=ROOT, env=environment,
                                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not port_open(port):
            if process.returncode is not None:
                raise SystemExit(f"the host exited: {(await process.stderr.read()).decode() if process.stderr else ''}")
            await asyncio.sleep(0.005)
        listening = time.perf_counter()
        if warmed:
            assert process.stdout is not None
            if (await process.stdout.readline()).strip() != b"warm":
                raise SystemExit("the host did not say it was warm")
        ready = time.perf_counter()
        timings = []
        for _ in range(2):
            sent = time.perf_counter()
            async with session.post(f"http://127.0.0.1:{port}/api/messages",
                                    json=activities.teams_message("declare Checkout failing")) as response:
                body = await response.json()
                if response.status != 200 or not body.get("activities"):
                    raise SystemExit(f"unexpected answer {response.status}: {body}")
            timings.append(time.perf_counter() - sent)
        return listening - started, ready - started, timings[0], timings[1]
    finally:
        process.terminate()
        await process.wait()


async def run(connection_string: str, runs: int) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    environment.update(DEVOPSBOT_STORAGE_CONNECTION_STRING=connection_string, DEVOPSBOT_TABLE_PREFIX="benchfirst",
                       DEVOPSBOT_LOG_LEVEL="WARNING")
    async with running_connector() as connector, aiohttp.ClientSession() as session:
        activities.SERVICE["url"] = connector.url
        await one_run(environment, session, warmed=False)  # creates the tables, warms the file cache: not counted
        cold, warmed = [], []
        for _ in range(runs):  # interleaved, so both kinds see the same machine load
            cold.append(await one_run(environment, session, warmed=False))
            warmed.append(await one_run(environment, session, warmed=True))
    c_port, _, c_first, c_warm = (statistics.median(column) for column in zip(*cold, strict=True))
    w_port, w_ready, w_first, w_warm = (statistics.median(column) for column in zip(*warmed, strict=True))
    print(f"first /api/messages answer in a fresh process (medians of {runs} processes of each kind):")
    print(f"  cold (no warm-up): port open after {c_port:.3f} s; first answer {c_first * 1000:.0f} ms, "
          f"the same request again {c_warm * 1000:.0f} ms (ratio first/warm {c_first / c_warm:.1f})")
    print(f"  warmed (warm-up in the background): port open after {w_port:.3f} s, warm after {w_ready:.3f} s; "
          f"first answer {w_first * 1000:.0f} ms, again {w_warm * 1000:.0f} ms "
          f"(ratio first/warm {w_first / w_warm:.1f}; target: at most 3)")
    print(f"  cold first / warmed first: {c_first / w_first:.1f}; spawn to the cold answer {c_port + c_first:.3f} s")


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
