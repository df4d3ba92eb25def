"""The postmortem after resolution: who owns it, when it is due, what completing it needs, and closing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident import postmortem_commands as pc
from incident.errors import IllegalTransition, InvalidValue, NotPermitted
from incident.lifecycle import Status
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE, BOB, OUTAGE_CRITERIA
from tests.unit.postmortem_fixtures import CHLOE, T0

ADMIN = Person(id="29:admin", name="Dana Admin")
SECTIONS = {"summary": "Release 42 broke payments", "impact": "30% of checkouts failed",
            "went_wrong": "The canary missed card payments"}


@pytest.fixture
async def container(policy: OrganisationPolicy, clock: FixedClock) -> AsyncIterator[Container]:
    built = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                      policy=replace(policy, admins=(ADMIN.id,)), notifier=RecordingNotifier(),
                      mailer=RecordingMailer())
    yield built
    await built.aclose()


async def resolved(container: Container, severity: str = "SEV1", incident_type: str = "outage") -> Incident:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type=incident_type, severity=severity, actor=ALICE,
        roles={"commander": ALICE}))
    criteria = OUTAGE_CRITERIA if incident_type == "outage" else ()
    override = "" if incident_type == "outage" else "checked by hand"
    done = await container.bus.handle(commands.Resolve(incident.id, "Rolled back", ALICE, criteria, override))
    assert isinstance(done, Incident)
    return done


async def written(container: Container, incident: Incident) -> Incident:
    await container.bus.handle(pc.EditPostmortem(incident.id, ALICE, SECTIONS, ("No card payments in the canary",)))
    await container.bus.handle(pc.AddFollowUp(incident.id, "Canary covers card payments", CHLOE, ALICE))
    done = await container.bus.handle(pc.CompletePostmortem(incident.id, ALICE))
    assert isinstance(done, Incident)
    return done


async def test_resolving_where_policy_requires_it_opens_a_postmortem_owned_by_the_commander(
        container: Container) -> None:
    incident = await resolved(container, "SEV1")
    assert incident.postmortem is not None
    assert incident.postmortem.owner == ALICE
    assert incident.postmortem.due_at == T0 + timedelta(days=5)  # SEV1's postmortem_due_days
    kinds = [e.kind for e in await container.dependencies.incidents.timeline(incident.id)]
    assert kinds[-2:] == ["resolved", "postmortem_opened"]


async def test_resolving_where_no_postmortem_is_required_opens_none(container: Container) -> None:
    incident = await resolved(container, "SEV3")
    assert incident.postmortem is None


async def test_the_incident_type_can_require_the_postmortem(container: Container) -> None:
    incident = await resolved(container, "SEV4", "security")
    assert incident.postmortem is not None


async def test_writing_the_postmortem_moves_the_incident_into_postmortem(container: Container) -> None:
    incident = await resolved(container)
    incident = await container.bus.handle(pc.EditPostmortem(incident.id, ALICE, {"summary": "Release 42"}))
    assert incident.status is Status.POSTMORTEM
    assert incident.postmortem is not None and incident.postmortem.summary == "Release 42"


async def test_completing_needs_the_written_sections_a_factor_and_a_follow_up(container: Container) -> None:
    incident = await resolved(container)
    with pytest.raises(InvalidValue) as refused:
        await container.bus.handle(pc.CompletePostmortem(incident.id, ALICE))
    for gap in ("summary", "impact", "what went wrong", "contributing factor", "follow-up"):
        assert gap in str(refused.value)
    completed = await written(container, incident)
    assert completed.postmortem is not None and completed.postmortem.completed_by == ALICE


async def test_a_follow_up_is_due_after_the_severitys_default(container: Container, policy: OrganisationPolicy,
                                                                 clock: FixedClock) -> None:
    incident = await resolved(container)
    incident = await container.bus.handle(pc.AddFollowUp(incident.id, "Alert on error rate", BOB, ALICE,
                                                         link="https://wiki.contoso.example/alerts"))
    [follow_up] = incident.follow_ups
    days = policy.severity("SEV1").follow_up_due_days
    assert (follow_up.number, follow_up.owner, follow_up.due_at) == (1, BOB, clock.now() + timedelta(days=days))
    assert follow_up.link == "https://wiki.contoso.example/alerts"


async def test_a_follow_up_link_must_be_a_web_link(container: Container) -> None:
    incident = await resolved(container)
    with pytest.raises(InvalidValue, match="link"):
        await container.bus.handle(pc.AddFollowUp(incident.id, "Fix", BOB, ALICE, link="javascript:alert(1)"))


async def test_only_the_owner_or_those_managing_the_incident_write_the_postmortem(container: Container) -> None:
    incident = await resolved(container)
    with pytest.raises(NotPermitted):
        await container.bus.handle(pc.EditPostmortem(incident.id, CHLOE, {"summary": "mine now"}))
    await container.bus.handle(pc.AssignPostmortemOwner(incident.id, CHLOE, ALICE))
    changed = await container.bus.handle(pc.EditPostmortem(incident.id, CHLOE, {"summary": "mine now"}))
    assert changed.postmortem is not None and changed.postmortem.summary == "mine now"


async def test_the_follow_ups_owner_may_mark_it_done_even_after_closing(container: Container) -> None:
    incident = await written(container, await resolved(container))
    await container.bus.handle(pc.CloseIncident(incident.id, ALICE))
    done = await container.bus.handle(pc.CompleteFollowUp(incident.id, 1, CHLOE))
    assert done.status is Status.CLOSED and done.follow_ups[0].is_done


async def test_closing_needs_the_completed_postmortem(container: Container) -> None:
    incident = await resolved(container)
    with pytest.raises(IllegalTransition, match="the postmortem is not completed"):
        await container.bus.handle(pc.CloseIncident(incident.id, ALICE))
    await written(container, incident)
    closed = await container.bus.handle(pc.CloseIncident(incident.id, ALICE))
    assert closed.status is Status.CLOSED


async def test_an_override_is_for_incident_admins_only(container: Container) -> None:
    incident = await resolved(container)
    with pytest.raises(NotPermitted, match="incident admin"):
        await container.bus.handle(pc.CloseIncident(incident.id, ALICE, override_reason="no time"))
    closed = await container.bus.handle(pc.CloseIncident(incident.id, ADMIN, override_reason="reviewed in the CAB"))
    assert closed.status is Status.CLOSED
    [event] = [e for e in await container.dependencies.incidents.timeline(incident.id) if e.kind == "closed"]
    assert event.actor == ADMIN
    assert event.after["override_reason"] == "reviewed in the CAB"
    assert "postmortem is not completed" in event.after["gaps"]


async def test_a_follow_up_waiting_for_the_tracker_blocks_closing(container: Container) -> None:
    incident = await resolved(container)
    await container.bus.handle(pc.EditPostmortem(incident.id, ALICE, SECTIONS, ("No card payments in the canary",)))
    changed = await container.dependencies.incidents.get(incident.id)
    changed.add_follow_up(title="Fix", owner=BOB, actor=ALICE, at=T0, policy=container.policy, tracked=True,
                          due_at=T0 + timedelta(days=3))
    await container.dependencies.incidents.save(changed)
    await container.bus.handle(pc.CompletePostmortem(incident.id, ALICE))
    with pytest.raises(IllegalTransition, match="follow-ups #1 are not filed"):
        await container.bus.handle(pc.CloseIncident(incident.id, ALICE))
