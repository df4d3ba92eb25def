"""Many people declaring at once: Teams-shaped deliveries sent concurrently to /api/messages over HTTP.

Used by the storm tests (which assert that nothing is lost or doubled) and by ``bench/declaration_storm.py``
(which prints how long each delivery took). The app is served the way the local Functions host serves it
(``LocalHost.web_app()``), in this process, with the process-wide container the caller installed.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.functions.conftest import teams_invoke
from tests.support.processes import serving

INCIDENT_ID = re.compile(r"INC-\d{4}-\d{4,9}")
PEOPLE = (("29:alice", "Alice Martin"), ("29:bob", "Bob Durand"), ("29:chloe", "Chloe Nguyen"))


def declaration_form(n: int, *, prefix: str = "storm") -> dict[str, Any]:
    """The filled-in declaration card number ``n``; its title names it, so a lost one can be told."""
    return {"form_id": f"{prefix}-form-{n:06d}", "title": f"{prefix} outage {n:06d}", "summary": "Payments fail",
            "type": "outage", "affects_customers": "true", "unplanned": "true", "long_running": "true",
            "severity": "SEV2", "commander": "29:alice", "services": "checkout", "environments": "production",
            "broadcast": "broadcast", "confirm_not_incident": False}


@dataclass(frozen=True)
class Delivery:
    """One POST to /api/messages: declaration ``n``, as Teams first sent it or as it sent it again."""

    n: int
    activity: dict[str, Any]
    kind: str  # "original", "replay" (the same activity id again) or "reclick" (a new id, the same form)


@dataclass
class Outcome:
    delivery: Delivery
    status: int
    seconds: float
    body: Any

    @property
    def incident_id(self) -> str:
        """The incident the answer names ("Declared INC-..."), or "" (e.g. "Already done")."""
        found = INCIDENT_ID.search(str(self.body))
        return found.group(0) if found else ""


@dataclass
class StormPlan:
    declarations: int = 200
    clients: int = 50
    replays: int = 20  # deliveries Teams sends twice with the same activity id
    reclicks: int = 10  # forms submitted twice (a double click: a new activity id, the same form)
    seed: int = 20261127
    prefix: str = "storm"

    def deliveries(self) -> list[Delivery]:
        chooser = random.Random(self.seed)
        deliveries = []
        for n in range(self.declarations):
            user = PEOPLE[n % len(PEOPLE)]
            activity = teams_invoke("declare.submit", declaration_form(n, prefix=self.prefix), user=user,
                                    activity_id=f"{self.prefix}-{n:06d}")
            deliveries.append(Delivery(n, activity, "original"))
        for n in chooser.sample(range(self.declarations), self.replays):
            deliveries.append(Delivery(n, dict(deliveries[n].activity), "replay"))
        for n in chooser.sample(range(self.declarations), self.reclicks):
            again = {**deliveries[n].activity, "id": f"{self.prefix}-{n:06d}-again"}
            deliveries.append(Delivery(n, again, "reclick"))
        # Originals first, in order: a repeat may then overtake its original, or race it, or come late.
        head, tail = deliveries[:self.declarations], deliveries[self.declarations:]
        chooser.shuffle(tail)
        mixed: list[Delivery] = []
        for index, delivery in enumerate(head):
            mixed.append(delivery)
            if tail and index % max(1, self.declarations // (len(tail) + 1)) == 0:
                mixed.append(tail.pop())
        return mixed + tail


@dataclass
class StormResult:
    outcomes: list[Outcome] = field(default_factory=list)
    wall_seconds: float = 0.0

    def of_kind(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.delivery.kind == kind]


async def post_activity(session: aiohttp.ClientSession, url: str, activity: dict[str, Any]) -> tuple[int, Any]:
    async with session.post(f"{url}/api/messages", json=activity) as response:
        text = await response.text()
        try:
            body: Any = await response.json(content_type=None) if text else None
        except ValueError:
            body = text
        return response.status, body


async def run_storm(url: str, plan: StormPlan) -> StormResult:
    """Send the plan's deliveries from ``plan.clients`` concurrent clients, each taking the next one free."""
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for delivery in plan.deliveries():
        queue.put_nowait(delivery)
    result = StormResult()
    connector = aiohttp.TCPConnector(limit=plan.clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:

        async def client() -> None:
            while not queue.empty():
                delivery = queue.get_nowait()
                started = time.perf_counter()
                status, body = await post_activity(session, url, delivery.activity)
                result.outcomes.append(Outcome(delivery, status, time.perf_counter() - started, body))

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(plan.clients)))
        result.wall_seconds = time.perf_counter() - started
    return result


@asynccontextmanager
async def served_app() -> AsyncIterator[str]:
    """The Functions app's HTTP routes as the local host serves them, on a free loopback port."""
    from devopsbot.local.host import LocalHost
    from function_app import app

    async with serving(LocalHost(app, settings={}).web_app()) as url:
        yield url


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (p99 of 200 values is the 198th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]
