"""Timer tick time with many resolved incidents stored, against a real (in-memory) Azurite.

The issue's measure: the time of one timer tick with 100,000 resolved incidents plus 50 open ones in
Table Storage, divided by the tick time with the 50 open ones alone (target: at most 1.2); and the
storage requests per tick, which must not depend on how many resolved incidents there are.

Two table prefixes in one Azurite: A holds only the open incidents; B the same open incidents plus
--resolved resolved ones, seeded once before the rounds. Seeding builds each resolved incident with the
domain model (declared, acknowledged, one update, resolved, years before the tick) and stores it with the
repository's own ``add``: its open-index row (a resolved incident stays open until it is closed), then
one entity-group transaction with its summary row and timeline events; --concurrency of them at a time.
Nothing is scheduled for them: in production their due work was completed long ago (checked after
seeding: B's due-work table is empty).

How the ticks of A and B do identical work: each round, in each prefix, --open incidents are declared
through the bus at the same instant T0 (a FixedClock), all alike (the same titles, severities SEV1 and
SEV2 in turn, commander, service; their ids come from the same yearly sequence, so A and B get the same
ids), and their reactions are drained, which schedules their due work. The tick then runs at T0 + 31 min,
when every open incident's acknowledgement deadline, first status reminder and required-roles check are
due (its stale check is not): three items per open incident, each acted on (the unacknowledged commander
escalates to the service's roster primary, the same in A and B). Whatever a tick schedules (the next
deadline, the next reminder) is due after T0 + 31 min, so the next round's tick sees only that round's
fresh items, while A and B accumulate the same open incidents and the same future due items round after
round: they differ only by the resolved incidents. One warm-up round (not measured) creates every table and opens
the connections. Rounds alternate which scenario goes first (A B, B A, ...) so machine noise hits both.
Teams and email are recorded in memory (RecordingNotifier, RecordingMailer): only storage is real.
Per request kind, the time from sending to the answer is summed too, to show where B's extra time goes.

Seen with Azurite 3.37: the requests are the same in A and B, but Azurite answers B's point reads and
transactions on the incidents table more slowly the more incidents it holds. Its LokiJS store looks an
entity up by RowKey first, and every incident's summary row has the RowKey "summary" (and its events
"event-000001", ...), so each lookup scans every incident's row of that name; Table Storage indexes on
PartitionKey then RowKey. Seeding slows down the same way (quadratic in --resolved overall).

Run: .venv/bin/python bench/timer_tick.py [--resolved 100000] [--open 50] [--rounds 5] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.clock import FixedClock  # noqa: E402
from adapters.memory import RecordingMailer, RecordingNotifier  # noqa: E402
from devopsbot.bootstrap import Container  # noqa: E402
from devopsbot.local.stack import azurite_connection_string  # noqa: E402
from devopsbot.organisation import load_organisation  # noqa: E402
from devopsbot.settings import Settings  # noqa: E402
from incident import commands  # noqa: E402
from incident.ids import format_incident_id  # noqa: E402
from incident.lifecycle import Status  # noqa: E402
from incident.model import Incident, Person  # noqa: E402
from incident.policy import OrganisationPolicy  # noqa: E402
from services.ports import RosterEntry  # noqa: E402
from services.timers import run_tick  # noqa: E402
from tests.support.processes import start_azurite  # noqa: E402

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday, within business hours in Paris
TICK_AFTER = timedelta(minutes=31)  # acknowledgement deadlines, first reminders and role checks are due
SEEDED_YEARS = 10  # the resolved incidents were declared over the ten years before T0
TICK_LIMIT = inspect.signature(run_tick).parameters["limit"].default  # items one tick acts on, at most
ALICE = Person("29:alice", "Alice Martin", "alice@contoso.example")
BOB = Person("29:bob", "Bob Durand", "bob@contoso.example")
CHLOE = Person("29:chloe", "Chloe Nguyen", "chloe@contoso.example")
DAVE = Person("29:dave", "David Okafor", "dave@contoso.example")
PEOPLE = (ALICE, BOB, CHLOE, DAVE)
TYPES = ("outage", "degradation", "outage", "data_loss")
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


class RequestCounter:
    """Hooks azure-core calls for every HTTP request sent (each retry included) and its response.
    Requests are named by kind (GET is a point read, query a filtered read) and table, without the
    prefix; the time from sending to the answer is summed per name, to show where a tick's time goes."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.requests: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self._sent: dict[int, tuple[str, float]] = {}

    def name(self, http: Any) -> str:
        path = http.url.split("/devstoreaccount1/", 1)[-1].split("?")[0]
        if path.startswith("$batch"):
            return "transaction"
        table, _, keys = path.partition("(")
        kind = "query" if http.method == "GET" and not keys.strip(")") else http.method
        return f"{kind} {table.removeprefix(self.prefix)}"

    def __call__(self, request: Any) -> None:
        name = self.name(request.http_request)
        self.requests[name] += 1
        self._sent[id(request.http_request)] = (name, time.perf_counter())

    def answered(self, response: Any) -> None:
        sent = self._sent.pop(id(response.http_request), None)
        if sent is not None:
            self.seconds[sent[0]] += time.perf_counter() - sent[1]

    def take(self) -> tuple[Counter[str], Counter[str]]:
        taken = self.requests, self.seconds
        self.requests, self.seconds = Counter(), Counter()
        return taken


@dataclass
class Scenario:
    name: str
    container: Container
    clock: FixedClock
    counter: RequestCounter
    durations: list[float] = field(default_factory=list)
    requests: list[Counter[str]] = field(default_factory=list)
    seconds: Counter[str] = field(default_factory=Counter)  # summed over the measured ticks
    reports: list[tuple[int, int, int, int, tuple[tuple[str, int], ...]]] = field(default_factory=list)


def build(name: str, prefix: str, connection_string: str, policy: OrganisationPolicy) -> Scenario:
    clock = FixedClock(T0)
    counter = RequestCounter(prefix)
    container = Container(Settings(storage_connection_string=connection_string, table_prefix=prefix),
                          clock=clock, policy=policy, notifier=RecordingNotifier(), mailer=RecordingMailer(),
                          table_client_options={"raw_request_hook": counter,
                                                "raw_response_hook": counter.answered})
    return Scenario(name, container, clock, counter)


def resolved_incident(index: int, count: int, policy: OrganisationPolicy) -> Incident:
    """The index-th of ``count`` resolved incidents, spread evenly over the years before T0, numbered per
    year as the bot numbers them; all fields and events made by the domain model itself."""
    per_year = -(-count // SEEDED_YEARS)
    year = T0.year - SEEDED_YEARS + index // per_year
    number = index % per_year + 1
    declared = datetime(year, 1, 1, tzinfo=UTC) + timedelta(seconds=(number - 1) * (365 * 86400 // per_year))
    commander = PEOPLE[index % len(PEOPLE)]
    incident_type = TYPES[index % len(TYPES)]
    incident = Incident.declare(
        incident_id=format_incident_id(policy.id_prefix, year, number),
        title=f"{policy.services[index % len(policy.services)]} failing ({index})",
        summary="Error rate above 5 % on the public API.", incident_type=incident_type,
        severity=SEVERITIES[index % len(SEVERITIES)], declared_by=PEOPLE[(index + 1) % len(PEOPLE)],
        at=declared, policy=policy, roles={"commander": commander},
        services=(policy.services[index % len(policy.services)],),
        environments=("production",), regions=(policy.regions[index % len(policy.regions)],))
    incident.acknowledge(actor=commander, at=declared + timedelta(minutes=4))
    incident.post_update(actor=commander, at=declared + timedelta(minutes=25),
                         text="Rolled back the last deployment; watching the error rate.")
    criteria = [c.key for c in policy.incident_type(incident_type).exit_criteria]
    override = index % 10 == 0  # now and then resolved without every exit criterion, with a reason
    incident.resolve(actor=commander, at=declared + timedelta(hours=2), policy=policy,
                     resolution="Rolled back; error rate normal for an hour.",
                     criteria_met=criteria[:1] if override else criteria,
                     override_reason="Customers told by support directly." if override else "")
    return incident


async def seed(scenario: Scenario, count: int, concurrency: int) -> float:
    """Store ``count`` resolved incidents, ``concurrency`` at a time; returns the seconds it took."""
    deps = scenario.container.dependencies
    indices = iter(range(count))
    done = 0
    started = last = time.perf_counter()

    async def worker() -> None:
        nonlocal done, last
        for index in indices:  # one shared iterator: each index is taken by exactly one worker
            await deps.incidents.add(resolved_incident(index, count, deps.policy))
            done += 1
            if done % 10_000 == 0:
                now = time.perf_counter()
                print(f"  seeded {done} resolved incidents in {now - started:.0f} s "
                      f"(the last 10000 at {10_000 / (now - last):.0f}/s)", flush=True)
                last = now

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    # They are what the bot would have stored, and they left no due work behind.
    sample = await deps.incidents.get(resolved_incident(count - 1, count, deps.policy).id)
    events = await deps.incidents.timeline(sample.id)
    assert sample.status is Status.RESOLVED and [e.kind for e in events] == [
        "declared", "acknowledged", "update_posted", "resolved"], (sample, events)
    leftover = await deps.due_work.due(T0 + timedelta(days=3650), 1000)
    assert not leftover, f"seeding left due work behind: {leftover[:3]}"
    return seconds


async def prepare(scenario: Scenario) -> None:
    """The roster both scenarios escalate through (and every table, created before anything is timed)."""
    await scenario.container.dependencies.roster.put(RosterEntry("checkout", "commander", BOB, (CHLOE,)))
    scenario.counter.take()


async def one_round(scenario: Scenario, open_count: int, *, measured: bool) -> None:
    """Declare the open incidents at T0 through the bus, let their reactions schedule their due work,
    then time one tick at T0 + 31 min and count its storage requests."""
    bus = scenario.container.bus
    scenario.clock.at = T0
    for n in range(open_count):
        await bus.handle(commands.DeclareIncident(
            title=f"Checkout failing {n}", incident_type="outage", severity=("SEV1", "SEV2")[n % 2],
            actor=ALICE, roles={"commander": ALICE}, services=("checkout",), environments=("production",)))
    await bus.drain()
    scenario.counter.take()
    scenario.clock.at = at = T0 + TICK_AFTER
    started = time.perf_counter()
    report = await run_tick(bus, at)
    elapsed = time.perf_counter() - started
    requests, seconds = scenario.counter.take()
    if measured:
        scenario.durations.append(elapsed)
        scenario.requests.append(requests)
        scenario.seconds.update(seconds)
        scenario.reports.append((report.due, report.acted, report.skipped, report.failed,
                                 tuple(sorted(report.kinds.items()))))


def by_kind(requests: Counter[str]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for name, n in requests.items():
        totals[name.split(" ")[0]] += n
    return totals


def describe(requests: Counter[str]) -> str:
    order = ("GET", "query", "POST", "PUT", "PATCH", "MERGE", "DELETE", "transaction")
    kinds = by_kind(requests)
    totals = ", ".join(f"{kind} {kinds[kind]}" for kind in order if kinds[kind])
    detail = ", ".join(f"{name} × {n}" for name, n in sorted(requests.items()))
    return f"{sum(requests.values())} ({totals}; by table: {detail})"


def summarise(scenario: Scenario) -> str:
    """Each distinct request count seen in the scenario's rounds, with how many rounds saw it."""
    seen: Counter[str] = Counter(describe(r) for r in scenario.requests)
    return "; ".join(text if n == len(scenario.requests) else f"{text} in {n} rounds" for text, n in seen.items())


async def run(connection_string: str, resolved: int, open_count: int, rounds: int, concurrency: int) -> None:
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    policy = load_organisation(ROOT / "config" / "organisation.toml")
    alone = build("A", "benchtickopen", connection_string, policy)
    crowded = build("B", "benchtickresolved", connection_string, policy)
    try:
        for scenario in (alone, crowded):
            await prepare(scenario)
        print(f"seeding {resolved} resolved incidents (repository add, {concurrency} at a time)...", flush=True)
        seeding = await seed(crowded, resolved, concurrency)
        print(f"seeded {resolved} resolved incidents in {seeding:.1f} s ({resolved / seeding:.0f}/s); "
              "they left no due work", flush=True)
        crowded.counter.take()
        for scenario in (alone, crowded):
            await one_round(scenario, open_count, measured=False)  # warm-up
        for n in range(rounds):
            order = (alone, crowded) if n % 2 == 0 else (crowded, alone)
            for scenario in order:
                await one_round(scenario, open_count, measured=True)
            print(f"  round {n + 1}: A {alone.durations[-1] * 1000:.0f} ms, "
                  f"B {crowded.durations[-1] * 1000:.0f} ms", flush=True)
    finally:
        for scenario in (alone, crowded):
            await scenario.container.aclose()

    a, b = statistics.median(alone.durations), statistics.median(crowded.durations)
    due, acted, skipped, failed, kinds = alone.reports[0]
    print(f"each tick: {due} due, {acted} acted, {skipped} skipped, {failed} failed "
          f"({', '.join(f'{k} {n}' for k, n in kinds)})")
    if set(alone.reports) != set(crowded.reports) or len(set(alone.reports)) != 1:
        print(f"  WARNING: the ticks did different work: A {sorted(set(alone.reports))}, "
              f"B {sorted(set(crowded.reports))}")
    print(f"tick with {open_count} open incidents: median {a * 1000:.0f} ms ({rounds} rounds); "
          f"with {resolved} resolved too: median {b * 1000:.0f} ms; ratio {b / a:.2f}x (target: at most 1.2)")
    print(f"  every tick, A: {', '.join(f'{d * 1000:.0f}' for d in alone.durations)} ms; "
          f"B: {', '.join(f'{d * 1000:.0f}' for d in crowded.durations)} ms")
    print(f"storage requests per tick with {open_count} open incidents: {summarise(alone)}")
    print(f"storage requests per tick with {resolved} resolved too: {summarise(crowded)}")
    same = all(ra == rb for ra, rb in zip(alone.requests, crowded.requests, strict=True))
    print("  the same requests in A and B, round by round" if same else
          "  WARNING: A and B sent different requests")
    print(f"  per open incident: {sum(alone.requests[0].values()) / open_count:.1f} requests")
    print("mean time from sending a request to its answer, A → B (where B's extra time goes):")
    for name in sorted(alone.seconds, key=lambda k: crowded.seconds[k] - alone.seconds[k], reverse=True):
        sent = sum(r[name] for r in alone.requests)
        extra = (crowded.seconds[name] - alone.seconds[name]) / rounds
        print(f"  {name:<16} {alone.seconds[name] / sent * 1000:6.2f} → {crowded.seconds[name] / sent * 1000:6.2f} ms"
              f"  ({extra * 1000:+.0f} ms per tick)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolved", type=int, default=100_000, help="resolved incidents stored in B")
    parser.add_argument("--open", type=int, default=50, help="open incidents declared per round, in A and B")
    parser.add_argument("--rounds", type=int, default=5, help="measured ticks per scenario")
    parser.add_argument("--concurrency", type=int, default=64, help="resolved incidents written at a time")
    args = parser.parse_args()
    if args.resolved < 1 or args.open < 1 or args.rounds < 1 or args.concurrency < 1:
        parser.error("every count must be at least 1")
    if 3 * args.open > TICK_LIMIT:
        parser.error(f"a tick acts on at most {TICK_LIMIT} items, 3 per open incident: --open {TICK_LIMIT // 3} "
                     "at most")
    # Stopped from outside (Ctrl-C, kill), it still closes its clients and stops Azurite: SIGINT is
    # handled even when started in the background, and SIGTERM cancels the run like SIGINT does.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    service, port = start_azurite(Path(tempfile.mkdtemp(prefix="bench-azurite-")))
    try:
        asyncio.run(run(azurite_connection_string(port), args.resolved, args.open, args.rounds,
                        args.concurrency))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted; Azurite is stopped", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        service.stop()


if __name__ == "__main__":
    main()
