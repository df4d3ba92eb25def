"""Each person's remembered Teams language, on the in-memory store and on Azurite, and which language wins:
their Teams language, then the organisation file's, then the incident's, then the organisation's default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from services.people_language import (
    by_language,
    language_for,
    remember_language,
    remembered_language,
)
from tests.conftest import ALICE, unique_prefix

CHLOE = Person("29:chloe", "Chloe Nguyen", "chloe@contoso.example")
LANGUAGES = {"chloe@contoso.example": "en", "marie@contoso.example": "fr"}


def english_incident(policy: OrganisationPolicy, clock: FixedClock) -> Incident:
    return Incident.declare(incident_id="INC-2026-0001", title="t", summary="", incident_type="outage",
                            severity="SEV2", declared_by=ALICE, at=clock.now(), policy=policy, language="en")


@pytest.fixture(params=["memory", pytest.param("azurite", marks=pytest.mark.azurite)])
async def container(request: pytest.FixtureRequest, policy: OrganisationPolicy,
                    clock: FixedClock) -> AsyncIterator[Container]:
    policy = replace(policy, languages=LANGUAGES, language="fr")
    if request.param == "memory":
        built = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy)
    else:
        built = Container(Settings(storage_connection_string=request.getfixturevalue("azurite"),
                                   table_prefix=unique_prefix()), clock=clock, policy=policy)
    yield built
    await built.aclose()


async def test_a_teams_locale_is_stored_as_its_language_and_read_back(container: Container) -> None:
    conversations = container.dependencies.conversations
    assert await remembered_language(conversations, CHLOE.id) == ""
    assert await remember_language(conversations, CHLOE.id, "fr-CA", container.clock.now()) == "fr"
    assert await remembered_language(conversations, CHLOE.id) == "fr"
    assert await remember_language(conversations, CHLOE.id, "de-DE", container.clock.now()) == "en"
    assert await remembered_language(conversations, CHLOE.id) == "en"
    assert await remember_language(conversations, CHLOE.id, "x" * 100, container.clock.now()) == ""
    assert await remembered_language(conversations, CHLOE.id) == "en"  # an absurd locale changes nothing


async def test_teams_then_the_file_then_the_incident_then_the_default(container: Container) -> None:
    deps = container.dependencies
    incident = english_incident(deps.policy, container.clock)
    assert await language_for(deps, CHLOE, incident) == "en"  # the file says English
    await remember_language(deps.conversations, CHLOE.id, "fr-FR", container.clock.now())
    assert await language_for(deps, CHLOE, incident) == "fr"  # her Teams says French
    assert await language_for(deps, "MARIE@contoso.example", incident) == "fr"  # the file, any case
    assert await language_for(deps, "paul@contoso.example", incident) == "en"  # the incident's
    assert await language_for(deps, "paul@contoso.example") == "fr"  # no incident: the organisation's default
    groups = await by_language(deps, ["paul@contoso.example", "marie@contoso.example",
                                                "chloe@contoso.example"], incident)
    assert groups == {"en": ["paul@contoso.example", "chloe@contoso.example"], "fr": ["marie@contoso.example"]}
