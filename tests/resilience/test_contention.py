"""Fifty people posting an update to one incident at the same moment: every update kept once, in one order."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio

from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.model import Incident, TimelineEvent
from incident.policy import OrganisationPolicy
from tests.conftest import unique_prefix
from tests.functions import conftest as activities
from tests.support.connector import ConnectorDouble, running_connector
from tests.support.storm import INCIDENT_ID, PEOPLE, declaration_form, post_activity, served_app

pytestmark = [pytest.mark.azurite, pytest.mark.asyncio(loop_scope="module")]
UPDATES = 50


@dataclass
class Contention:
    answers: list[tuple[int, dict[str, object]]]
    incident: Incident
    timeline: list[TimelineEvent]
    connector: ConnectorDouble

    def updates(self) -> list[TimelineEvent]:
        return [e for e in self.timeline if e.kind == "update_posted"]


def update_text(n: int) -> str:
    return f"Update {n:02d}: rolling back the release on node {n}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def contention(azurite: str, policy: OrganisationPolicy) -> AsyncIterator[Contention]:
    container = Container(Settings(storage_connection_string=azurite, table_prefix=unique_prefix()), policy=policy)
    bootstrap.reset_container(container)
    try:
        async with running_connector() as connector, served_app() as url, aiohttp.ClientSession() as session:
            activities.SERVICE["url"] = connector.url
            _, declared = await post_activity(session, url, activities.teams_invoke(
                "declare.submit", declaration_form(1, prefix="contention")))
            [incident_id] = set(INCIDENT_ID.findall(json.dumps(declared)))
            await container.bus.drain()
            clicks = [activities.teams_invoke("incident.update", {"incident_id": incident_id, "text": update_text(n)},
                                              user=PEOPLE[n % len(PEOPLE)]) for n in range(UPDATES)]
            answers = await asyncio.gather(*(post_activity(session, url, click) for click in clicks))
            await container.bus.drain()  # the cards, refreshed in the background
            incidents = container.dependencies.incidents
            yield Contention(list(answers), await incidents.get(incident_id), await incidents.timeline(incident_id),
                             connector)
    finally:
        activities.SERVICE["url"] = "http://127.0.0.1:9/_connector"
        bootstrap.reset_container(None)
        await container.aclose()


async def test_no_update_is_answered_with_an_error(contention: Contention) -> None:
    assert Counter(status for status, _ in contention.answers) == {200: UPDATES}
    for _, body in contention.answers:  # each person sees the incident card, with no refusal
        assert body["type"] == "application/vnd.microsoft.card.adaptive", body


async def test_every_update_is_in_the_timeline_exactly_once(contention: Contention) -> None:
    texts = Counter(e.after["update"] for e in contention.updates())
    assert texts == Counter(update_text(n) for n in range(UPDATES))


async def test_each_update_replaced_the_one_stored_just_before_it(contention: Contention) -> None:
    # Had two writers both read update k and both saved, one of them would have lost the other's update.
    updates = contention.updates()
    for previous, current in itertools.pairwise(updates):
        assert current.before == {"update": previous.after["update"]}


async def test_the_timeline_is_numbered_without_gaps_and_the_incident_counts_it(contention: Contention) -> None:
    assert [e.sequence for e in contention.timeline] == list(range(1, len(contention.timeline) + 1))
    # The updates, the declaration, and the plan step the first update ticked ("Post the first status update").
    assert contention.incident.event_count == len(contention.timeline) == UPDATES + 2


async def test_the_incident_shows_the_last_update_stored(contention: Contention) -> None:
    assert contention.incident.last_update == contention.updates()[-1].after["update"]


async def test_the_incident_card_in_teams_ends_showing_the_last_update(contention: Contention) -> None:
    card_updates = [s for s in contention.connector.messages("update") if s.conversation_id.startswith("team-id;")]
    assert card_updates, "the incident card was never refreshed"
    last_space_card = [s for s in card_updates if s.activity_id == card_updates[0].activity_id][-1]
    assert contention.incident.last_update in json.dumps(last_space_card.activity, ensure_ascii=False)
