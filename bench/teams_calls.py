"""CPU per proactive Teams call: botbuilder's continue_conversation/create_conversation path against the direct
Bot Connector calls (bot/connector_rest.py), in one run, rounds alternated.

The Bot Connector double runs in a child process, so the CPU measured (this process's, worker threads
included: botbuilder sends with ``requests`` on them) is the bot's alone. Each call goes to its own
conversation, so Teams' per-conversation pacing never waits.

    .venv/bin/python bench/teams_calls.py [--calls 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.endpoint import BotIdentity, build_adapter
from bot.references import reference_from_dict
from bot.teams_connector import TeamsConnector
from tests.functions.test_connector_rest import CARD, home_of
from tests.support.botbuilder_path import BotbuilderPath
from tests.support.connector import running_connector


def serve_double(urls: Any) -> None:
    async def serve() -> None:
        async with running_connector() as double:
            urls.put(double.url)
            await asyncio.Event().wait()

    asyncio.run(serve())


async def cpu_per_call(calls: int, call: Callable[[int], Awaitable[Any]]) -> float:
    """Milliseconds of this process's CPU per call, ``calls`` calls one after another."""
    for n in range(10):  # warm: clients, connections, tokens
        await call(10_000_000 + n)
    started = time.process_time()
    for n in range(calls):
        await call(n)
    return (time.process_time() - started) * 1000 / calls


async def measure(url: str, calls: int, rounds: int) -> dict[tuple[str, str], list[float]]:
    adapter = build_adapter(BotIdentity())
    paths: dict[str, Any] = {"botbuilder": BotbuilderPath(adapter, ""),
                             "direct": TeamsConnector(adapter=lambda: adapter, app_id="")}
    home = home_of(url)

    def thread(n: int) -> Any:
        reference = dict(home, conversation={"id": f"19:c{n}@thread.skype;messageid=1", "tenantID": "tenant-1"})
        return reference_from_dict(reference)

    figures: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for name, teams in paths.items():
            operations: dict[str, Callable[[int], Awaitable[Any]]] = {
                "send": lambda n, t=teams: t.send(thread(n), TeamsConnector.card_activity(CARD)),
                "update": lambda n, t=teams: t.update(thread(n), "1000", TeamsConnector.card_activity(CARD)),
                "new thread": lambda n, t=teams: t.new_thread(reference_from_dict(home), f"19:ch{n}@thread.skype",
                                                               TeamsConnector.card_activity(CARD)),
            }
            for operation, call in operations.items():
                figures.setdefault((operation, name), []).append(await cpu_per_call(calls, call))
    await paths["direct"].aclose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    urls: Any = multiprocessing.Queue()
    double = multiprocessing.Process(target=serve_double, args=(urls,), daemon=True)
    double.start()
    try:
        figures = asyncio.run(measure(urls.get(timeout=30), arguments.calls, arguments.rounds))
    finally:
        double.terminate()
    print(f"CPU per call, ms (median of {arguments.rounds} rounds of {arguments.calls} calls; all rounds)")
    for operation in ("send", "update", "new thread"):
        old, new = figures[(operation, "botbuilder")], figures[(operation, "direct")]
        print(f"{operation:11} botbuilder {statistics.median(old):5.2f} {[round(f, 2) for f in old]}"
              f"   direct {statistics.median(new):5.2f} {[round(f, 2) for f in new]}")


if __name__ == "__main__":
    main()
