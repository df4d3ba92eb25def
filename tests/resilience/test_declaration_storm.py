"""Fifty people declaring at once, with Teams repeating some deliveries: nothing lost, nothing doubled.

200 declarations from 50 concurrent clients over HTTP to /api/messages (served as the local Functions host
serves it), Table Storage on Azurite, Teams on the connector double. Some deliveries come twice with the
same activity id (Teams' retry), some forms are submitted twice (a double click). The storm runs once for
the module; each test checks one outcome of it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.locale import Translator
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.model import Incident
from incident.policy import OrganisationPolicy
from tests.conftest import unique_prefix
from tests.functions import conftest as activities
from tests.support.connector import ConnectorDouble, running_connector
from tests.support.storm import INCIDENT_ID, Outcome, StormPlan, StormResult, run_storm, served_app

pytestmark = [pytest.mark.azurite, pytest.mark.asyncio(loop_scope="module")]
PLAN = StormPlan(declarations=200, clients=50, replays=20, reclicks=10)
ON_ITS_WAY = Translator("en")("declare.in_progress")


class Storm:
    def __init__(self, result: StormResult, container: Container, connector: ConnectorDouble) -> None:
        self.result, self.container, self.connector = result, container, connector
        self.stored: list[Incident] = []

    def answers_for(self, n: int) -> list[Outcome]:
        return [o for o in self.result.outcomes if o.delivery.n == n]

    def stored_id(self, n: int) -> str:
        [found] = [i.id for i in self.stored if i.title == f"storm outage {n:06d}"]
        return found


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def storm(azurite: str, policy: OrganisationPolicy) -> AsyncIterator[Storm]:
    container = Container(Settings(storage_connection_string=azurite, table_prefix=unique_prefix()), policy=policy)
    bootstrap.reset_container(container)
    try:
        async with running_connector() as connector:
            activities.SERVICE["url"] = connector.url
            async with served_app() as url:
                result = await run_storm(url, PLAN)
            await container.bus.drain()  # the spaces and announcements, posted in the background
            storm = Storm(result, container, connector)
            storm.stored = await container.dependencies.incidents.list_open()
            yield storm
    finally:
        activities.SERVICE["url"] = "http://127.0.0.1:9/_connector"
        bootstrap.reset_container(None)
        await container.aclose()


def threads_per_incident(connector: ConnectorDouble, channel: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for sent in connector.messages("thread"):
        if sent.conversation_id.startswith(f"{channel};"):
            found.update(set(INCIDENT_ID.findall(str(sent.activity))))
    return found


async def test_every_delivery_is_answered_without_an_error(storm: Storm) -> None:
    assert len(storm.result.outcomes) == PLAN.declarations + PLAN.replays + PLAN.reclicks
    assert Counter(o.status for o in storm.result.outcomes) == {200: len(storm.result.outcomes)}


async def test_each_form_is_stored_as_exactly_one_incident(storm: Storm) -> None:
    titles = Counter(i.title for i in storm.stored)
    assert titles == Counter(f"storm outage {n:06d}" for n in range(PLAN.declarations))
    assert len({i.id for i in storm.stored}) == PLAN.declarations


async def test_each_declaration_is_answered_with_its_own_incident(storm: Storm) -> None:
    for n in range(PLAN.declarations):
        named = {o.incident_id for o in storm.answers_for(n)} - {""}
        assert named == {storm.stored_id(n)}, n


async def test_a_repeated_delivery_names_the_incident_or_says_it_is_on_its_way(storm: Storm) -> None:
    # Teams' retry and its original race: whichever comes second names the same incident, or, while the
    # first is still storing it, says it is on its way.
    by_delivery: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in storm.result.outcomes:
        if outcome.delivery.kind != "reclick":
            by_delivery[outcome.delivery.n].append(outcome)
    repeated = [outcomes for outcomes in by_delivery.values() if len(outcomes) == 2]
    assert len(repeated) == PLAN.replays
    for first, second in repeated:
        n = first.delivery.n
        assert {first.incident_id, second.incident_id} - {""} == {storm.stored_id(n)}
        for outcome in (first, second):
            assert outcome.incident_id or outcome.body["value"] == ON_ITS_WAY, outcome.body


async def test_a_double_click_names_the_incident_or_says_it_is_on_its_way(storm: Storm) -> None:
    reclicks = storm.result.of_kind("reclick")
    assert len(reclicks) == PLAN.reclicks
    for outcome in reclicks:
        if outcome.incident_id:
            assert outcome.incident_id == storm.stored_id(outcome.delivery.n)
        else:  # it raced the first click, which was still storing the incident
            assert outcome.body["value"] == ON_ITS_WAY, outcome.body


async def test_every_incident_has_one_declaration_in_its_timeline(storm: Storm) -> None:
    incidents = storm.container.dependencies.incidents
    for incident in storm.stored:
        kinds = Counter(e.kind for e in await incidents.timeline(incident.id))
        assert kinds["declared"] == 1, incident.id


async def test_every_incident_is_announced_once(storm: Storm) -> None:
    announced = threads_per_incident(storm.connector, "channel-broadcast")
    assert announced == Counter({i.id: 1 for i in storm.stored})


async def test_every_incident_gets_one_space(storm: Storm) -> None:
    spaces = threads_per_incident(storm.connector, "team-id")
    assert spaces == Counter({i.id: 1 for i in storm.stored})
