"""An incident admin listed in [teams] admins by Entra object id may override the postmortem on close."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import postmortem_commands as pc
from incident.errors import NotPermitted
from incident.lifecycle import Status
from incident.model import Person
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE
from tests.unit.test_postmortem import resolved

DANA = Person(id="29:dana", name="Dana Admin", aad_id="6f1c0e2a-aad-dana")
EVE = Person(id="29:eve", name="Eve Outsider", aad_id="0d4b9a11-aad-eve")


@pytest.fixture
async def container(policy: OrganisationPolicy, clock: FixedClock) -> AsyncIterator[Container]:
    built = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                      policy=replace(policy, admins=(DANA.aad_id,)), notifier=RecordingNotifier())
    yield built
    await built.aclose()


async def test_an_admin_named_by_entra_object_id_closes_with_an_override(container: Container) -> None:
    incident = await resolved(container)
    closed = await container.bus.handle(pc.CloseIncident(incident.id, DANA, override_reason="reviewed in the CAB"))
    assert closed.status is Status.CLOSED


async def test_someone_whose_entra_id_is_not_listed_may_not_override(container: Container) -> None:
    incident = await resolved(container)
    for actor in (EVE, ALICE):
        with pytest.raises(NotPermitted):
            await container.bus.handle(pc.CloseIncident(incident.id, actor, override_reason="no time"))
    assert (await container.dependencies.incidents.get(incident.id)).status is Status.RESOLVED
