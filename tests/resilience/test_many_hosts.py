"""Many hosts, one store: three `python -m devopsbot serve` processes on one Azurite behind a round-robin
front, each running every timer (the due-work ticks overlapping), as Azure Functions runs a scaled-out app.

Asserted from storage and from what the Teams and SMTP doubles received: nothing lost, nothing doubled,
every outbox entry drained. The fleet is started once for the module; the host-killing test runs last.
TEST_MANY_HOSTS_DECLARATIONS sets the storm's size (60 by default; bench/multi_host.py runs 200).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import pytest_asyncio

from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.model import Incident
from tests.conftest import unique_prefix
from tests.functions import conftest as activities
from tests.support.connector import ConnectorDouble
from tests.support.hosts import Fleet, organisation_with_admin, running_fleet, same_second_schedule, send_alerts
from tests.support.storm import INCIDENT_ID, PEOPLE, StormPlan, declaration_form, post_activity, run_storm

pytestmark = [pytest.mark.azurite, pytest.mark.asyncio(loop_scope="module")]
DECLARATIONS = int(os.environ.get("TEST_MANY_HOSTS_DECLARATIONS", "60"))
UPDATES = 50
WEEKLY_AT = timedelta(seconds=50)  # the digest and the roster report fire on every host this long after start


@dataclass
class Shared:
    fleet: Fleet
    reader: Container  # the tests' own view of the tables, straight to Azurite
    weekly_at: datetime


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shared]:
    prefix = unique_prefix()
    schedule, weekly_at = same_second_schedule(WEEKLY_AT)
    organisation = organisation_with_admin(tmp_path_factory.mktemp("organisation"))
    settings = {"DEVOPSBOT_DIGEST_SCHEDULE": schedule, "DEVOPSBOT_ROSTER_REPORT_SCHEDULE": schedule,
                "DEVOPSBOT_ORGANISATION_FILE": str(organisation)}
    async with running_fleet(azurite, tmp_path_factory.mktemp("hosts"), prefix=prefix,
                             settings=settings) as fleet:
        reader = Container(Settings(storage_connection_string=azurite, table_prefix=prefix,
                                    organisation_file=organisation))
        try:
            yield Shared(fleet, reader, weekly_at)
        finally:
            await reader.aclose()


async def quiet(connector: ConnectorDouble, settle: float = 3.0, limit: float = 90.0) -> None:
    """Until Teams has been sent nothing for ``settle`` seconds: the background work is done."""
    seen, last_change, started = -1, time.monotonic(), time.monotonic()
    while time.monotonic() - last_change < settle and time.monotonic() - started < limit:
        if len(connector.sent) != seen:
            seen, last_change = len(connector.sent), time.monotonic()
        await asyncio.sleep(0.1)


def threads_per_incident(connector: ConnectorDouble, channel: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for sent in connector.messages("thread"):
        if sent.conversation_id.startswith(f"{channel};"):
            found.update(set(INCIDENT_ID.findall(str(sent.activity))))
    return found


async def stored_with_prefix(reader: Container, prefix: str) -> list[Incident]:
    return [i for i in await reader.dependencies.incidents.list_open() if i.title.startswith(f"{prefix} outage ")]


async def undrained(reader: Container, incidents: list[Incident]) -> dict[str, int]:
    found = {i.id: len(await reader.dependencies.incidents.outbox(i.id)) for i in incidents}
    return {k: v for k, v in found.items() if v}


async def test_a_declaration_storm_through_every_host_makes_one_incident_per_form(shared: Shared) -> None:
    fleet = shared.fleet
    plan = StormPlan(declarations=DECLARATIONS, clients=30, replays=DECLARATIONS // 10,
                     reclicks=DECLARATIONS // 20, prefix="fleetstorm")
    result = await run_storm(fleet.url, plan)
    await quiet(fleet.connector)
    assert Counter(o.status for o in result.outcomes) == {200: len(result.outcomes)}
    assert set(fleet.front.answered_by) == {h.index for h in fleet.hosts}, "the front used every host"
    stored = await stored_with_prefix(shared.reader, "fleetstorm")
    assert Counter(i.title for i in stored) == Counter(f"fleetstorm outage {n:06d}" for n in range(DECLARATIONS))
    ids = {i.id for i in stored}
    assert threads_per_incident(fleet.connector, "channel-broadcast") & Counter(dict.fromkeys(ids, 99)) == \
        Counter(dict.fromkeys(ids, 1)), "each incident announced once"
    assert threads_per_incident(fleet.connector, "team-id") & Counter(dict.fromkeys(ids, 99)) == \
        Counter(dict.fromkeys(ids, 1)), "each incident given one space"
    assert await undrained(shared.reader, stored) == {}


async def test_fifty_concurrent_updates_on_one_incident_through_every_host_are_each_kept_once(shared: Shared) -> None:
    fleet = shared.fleet
    async with aiohttp.ClientSession() as session:
        _, declared = await post_activity(session, fleet.url, activities.teams_invoke(
            "declare.submit", declaration_form(1, prefix="fleetupdates")))
        [incident_id] = set(INCIDENT_ID.findall(json.dumps(declared)))
        texts = [f"Update {n:02d}: rolling back node {n}" for n in range(UPDATES)]
        clicks = [activities.teams_invoke("incident.update", {"incident_id": incident_id, "text": text},
                                          user=PEOPLE[n % len(PEOPLE)]) for n, text in enumerate(texts)]
        answers = await asyncio.gather(*(post_activity(session, fleet.url, click) for click in clicks))
    await quiet(fleet.connector)
    assert Counter(status for status, _ in answers) == {200: UPDATES}
    incidents = shared.reader.dependencies.incidents
    updates = [e for e in await incidents.timeline(incident_id) if e.kind == "update_posted"]
    assert Counter(e.after["update"] for e in updates) == Counter(texts)
    for previous, current in itertools.pairwise(updates):  # no writer overwrote another's update
        assert current.before == {"update": previous.after["update"]}
    assert (await incidents.get(incident_id)).last_update == updates[-1].after["update"]
    assert await undrained(shared.reader, [await incidents.get(incident_id)]) == {}


async def test_an_alert_storm_through_every_host_opens_one_incident_per_service(shared: Shared) -> None:
    services, distinct, total = 5, 25, 500  # 95 % of the notifications repeat an alert already sent
    results = await send_alerts(shared.fleet.url, list(range(distinct)), services, senders=distinct)
    results += await send_alerts(shared.fleet.url, [n % distinct for n in range(total - distinct)], services,
                                 senders=30)
    await quiet(shared.fleet.connector)
    assert Counter(status for status, _ in results) == {202: total}
    deps = shared.reader.dependencies
    assert deps.signals is not None
    signals = [s for s in await deps.signals.since(datetime.now(UTC) - timedelta(hours=1))
               if "fleet-alert-" in s.signal.fingerprint]
    assert len(signals) == distinct
    assert sum(s.deliveries for s in signals) == total
    opened = {found for s in signals for found in {s.incident_id, *INCIDENT_ID.findall(s.outcome)} - {""}}
    assert len(opened) == services, ("the rules: one incident per service", [s.outcome for s in signals])
    alerted = [await deps.incidents.get(i) for i in opened]
    assert await undrained(shared.reader, alerted) == {}


async def test_the_weekly_digest_and_roster_report_fired_by_every_host_at_once_go_out_once(shared: Shared) -> None:
    wait = (shared.weekly_at - datetime.now(UTC)).total_seconds() + 8
    await asyncio.sleep(max(0.0, wait))
    subjects = Counter((m.message["Subject"], tuple(sorted(m.envelope_to))) for m in shared.fleet.inbox.messages)
    roster = [s for s in subjects if s[0].startswith("Roster check")]
    digest = [s for s in subjects if "digest" in s[0].lower()]
    assert len(roster) == 1 and subjects[roster[0]] == 1, subjects
    assert len(digest) >= 1 and all(subjects[s] == 1 for s in digest), subjects


async def test_a_host_killed_mid_declaration_and_mid_tick_leaves_no_work_undone_or_doubled(shared: Shared) -> None:
    fleet = shared.fleet
    victim = fleet.hosts[1]
    plan = StormPlan(declarations=30, clients=15, replays=0, reclicks=0, prefix="fleetkill")
    storm = asyncio.create_task(run_storm(fleet.url, plan))
    for _ in range(600):  # until the victim has answered a few declarations: more are under way on it
        if storm.done() or fleet.front.answered_by.count(victim.index) >= 3:
            break
        await asyncio.sleep(0.05)
    victim.kill()  # its due-work timer ticks every 2 s: a tick is under way or about to be
    result = await storm
    # Teams sends a delivery again when it got no answer; the front gives it to a live host.
    async with aiohttp.ClientSession() as session:
        for outcome in result.outcomes:
            if outcome.status != 200:
                outcome.status, outcome.body = await post_activity(session, fleet.url, outcome.delivery.activity)
    await victim.start()
    # The outbox sweep of anything the dead host left is due 5-10 minutes later: every host ticks then.
    assert await fleet.run_due_work_everywhere(datetime.now(UTC) + timedelta(minutes=11)) == [0] * len(fleet.hosts)
    await quiet(fleet.connector)
    assert {o.status for o in result.outcomes} == {200}
    stored = await stored_with_prefix(shared.reader, "fleetkill")
    titles = Counter(i.title for i in stored)
    assert max(titles.values()) == 1, "no form made two incidents"
    missing = {n for n in range(plan.declarations) if f"fleetkill outage {n:06d}" not in titles}
    # Only a declaration the dead host had claimed can be missing: its retry is told "on its way" until the
    # claim's lease (2 minutes) ends, then a new click declares it.
    assert len(missing) <= fleet.front.lost, (missing, fleet.front.lost)
    ids = {i.id for i in stored}
    assert threads_per_incident(fleet.connector, "team-id") & Counter(dict.fromkeys(ids, 99)) == \
        Counter(dict.fromkeys(ids, 1)), "each incident given one space"
    assert threads_per_incident(fleet.connector, "channel-broadcast") & Counter(dict.fromkeys(ids, 99)) == \
        Counter(dict.fromkeys(ids, 1)), "each incident announced once"
    assert await undrained(shared.reader, stored) == {}
