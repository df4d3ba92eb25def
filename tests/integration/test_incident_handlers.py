"""The service layer through the bus, on the fakes and on Azurite: ids, idempotency, concurrency."""

from __future__ import annotations

import asyncio

import pytest

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container
from incident import commands
from incident.errors import ConcurrencyConflict, IllegalTransition, InvalidValue, NotPermitted
from incident.lifecycle import Status
from incident.postmortem_commands import CloseIncident
from services.handlers import open_incidents
from tests.conftest import ALICE, BOB, OUTAGE_CRITERIA


def declaration(title: str = "Checkout failing", severity: str = "SEV2", key: str = "") -> commands.DeclareIncident:
    return commands.DeclareIncident(title=title, incident_type="outage", severity=severity, actor=ALICE,
                                    roles={"commander": ALICE}, services=("checkout",), idempotency_key=key)


async def test_declarations_get_consecutive_ids_for_the_year(container: Container) -> None:
    first = await container.bus.handle(declaration())
    second = await container.bus.handle(declaration("Search slow"))
    assert (first.id, second.id) == ("INC-2026-0001", "INC-2026-0002")
    stored = await container.dependencies.incidents.get("INC-2026-0002")
    assert (stored.title, stored.status, stored.declared_by) == ("Search slow", Status.DECLARED, ALICE)


async def test_a_refused_declaration_spends_no_id_and_stores_nothing(container: Container) -> None:
    with pytest.raises(InvalidValue):
        await container.bus.handle(declaration(severity="SEV9"))
    assert await open_incidents(container.dependencies) == []
    assert (await container.bus.handle(declaration())).id == "INC-2026-0001"


async def test_a_repeated_declaration_makes_one_incident(container: Container) -> None:
    first = await container.bus.handle(declaration(key="activity:abc"))
    again = await container.bus.handle(declaration(key="activity:abc"))
    assert again.id == first.id
    assert [i.id for i in await open_incidents(container.dependencies)] == [first.id]


async def test_concurrent_double_clicks_make_one_incident(container: Container) -> None:
    results = await asyncio.gather(*(container.bus.handle(declaration(key="submit:1")) for _ in range(5)),
                                   return_exceptions=True)
    made = {r.id for r in results if not isinstance(r, BaseException)}
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(made) == 1
    assert all(isinstance(r, ConcurrencyConflict) for r in refused)
    assert len(await open_incidents(container.dependencies)) == 1


async def test_concurrent_updates_each_land_once(container: Container) -> None:
    incident = await container.bus.handle(declaration())
    texts = [f"update {n}" for n in range(12)]
    await asyncio.gather(*(container.bus.handle(commands.PostUpdate(incident.id, t, BOB)) for t in texts))
    timeline = await container.dependencies.incidents.timeline(incident.id)
    posted = [e.summary for e in timeline if e.kind == "update_posted"]
    assert sorted(posted) == sorted(texts)
    # 12 updates, the declaration, and the plan's "Post the first status update" ticked by the first update.
    assert [e.sequence for e in timeline] == list(range(1, 15))
    stored = await container.dependencies.incidents.get(incident.id)
    assert stored.last_update == posted[-1]


async def test_the_whole_lifecycle_through_the_bus(container: Container, clock: FixedClock) -> None:
    from datetime import timedelta

    incident = await container.bus.handle(declaration(severity="SEV3"))
    steps: list[object] = [
        commands.Acknowledge(incident.id, BOB),
        commands.AssignRole(incident.id, "communications_lead", BOB, ALICE),
        commands.ChangeSeverity(incident.id, "SEV2", ALICE, "more customers affected"),
        commands.ChangeStatus(incident.id, Status.IDENTIFIED, ALICE),  # acknowledging started the investigation
        commands.PostUpdate(incident.id, "Rolling back release 42", ALICE),
        commands.Resolve(incident.id, "Rolled back", ALICE, OUTAGE_CRITERIA),
        commands.Reopen(incident.id, "Errors came back", ALICE),
        commands.Resolve(incident.id, "Fixed the config", ALICE, OUTAGE_CRITERIA),
        commands.ChangeStatus(incident.id, Status.POSTMORTEM, ALICE),
        CloseIncident(incident.id, ALICE, override_reason="reviewed in the weekly meeting", enforce_roles=False),
    ]
    for step in steps:
        clock.advance(timedelta(minutes=5))
        await container.bus.handle(step)
    stored = await container.dependencies.incidents.get(incident.id)
    assert stored.status is Status.CLOSED
    assert stored.severity == "SEV2" and stored.holder("communications_lead") == BOB
    kinds = [e.kind for e in await container.dependencies.incidents.timeline(incident.id)]
    assert kinds == ["declared", "acknowledged", "status_changed", "plan_step_done", "role_assigned",
                     "severity_changed", "status_changed", "update_posted", "plan_step_done", "resolved",
                     "postmortem_opened", "reopened", "resolved", "postmortem_started", "closed"]
    assert await open_incidents(container.dependencies) == []


async def test_an_illegal_move_through_the_bus_changes_nothing(container: Container) -> None:
    incident = await container.bus.handle(declaration())
    with pytest.raises(IllegalTransition):
        await container.bus.handle(commands.ChangeStatus(incident.id, Status.CLOSED, ALICE))
    assert len(await container.dependencies.incidents.timeline(incident.id)) == 1


async def test_open_incidents_list_most_severe_first(container: Container) -> None:
    for title, severity in (("minor", "SEV4"), ("major", "SEV2"), ("critical", "SEV1")):
        await container.bus.handle(declaration(title, severity))
    assert [i.title for i in await open_incidents(container.dependencies)] == ["critical", "major", "minor"]


async def test_someone_without_the_role_may_not_resolve_or_change_severity(container: Container) -> None:
    incident = await container.bus.handle(declaration())  # ALICE commands
    for command in (commands.Resolve(incident.id, "done", BOB, OUTAGE_CRITERIA),
                    commands.ChangeSeverity(incident.id, "SEV1", BOB)):
        with pytest.raises(NotPermitted, match="only the commander, the deputy or an incident admin"):
            await container.bus.handle(command)
    assert len(await container.dependencies.incidents.timeline(incident.id)) == 1
    await container.bus.handle(commands.PostUpdate(incident.id, "anyone may post updates", BOB))


async def test_a_refused_declaration_leaves_no_claim_on_its_key(container: Container) -> None:
    with pytest.raises(InvalidValue):
        await container.bus.handle(declaration(severity="SEV9", key="activity:bad"))
    with pytest.raises(InvalidValue):  # the same error again, not "already being processed"
        await container.bus.handle(declaration(severity="SEV9", key="activity:bad"))


async def test_a_retry_after_a_crash_between_id_and_store_makes_the_same_incident(
        container: Container, clock: FixedClock) -> None:
    from datetime import timedelta

    deps = container.dependencies
    # What a crashed attempt leaves behind: the key claimed and its id recorded, nothing stored.
    claim = await deps.idempotency.begin("activity:crash", clock.now(), timedelta(minutes=2))
    assert claim.owned
    await deps.incidents.next_number("INC", 2026)
    await deps.idempotency.complete("activity:crash", "INC-2026-0001")
    clock.advance(timedelta(minutes=5))
    retried = await container.bus.handle(declaration(key="activity:crash"))
    again = await container.bus.handle(declaration(key="activity:crash"))
    assert (retried.id, again.id) == ("INC-2026-0001", "INC-2026-0001")
    assert [i.id for i in await open_incidents(deps)] == ["INC-2026-0001"]


async def test_status_changes_are_for_the_commander_deputy_and_admins(container: Container) -> None:
    incident = await container.bus.handle(declaration())
    with pytest.raises(NotPermitted):
        await container.bus.handle(commands.ChangeStatus(incident.id, Status.INVESTIGATING, BOB))
    await container.bus.handle(commands.ChangeStatus(incident.id, Status.INVESTIGATING, ALICE))


async def test_nobody_takes_command_without_command(container: Container) -> None:
    incident = await container.bus.handle(declaration())  # ALICE commands
    with pytest.raises(NotPermitted):
        await container.bus.handle(commands.AssignRole(incident.id, "commander", BOB, BOB))
    await container.bus.handle(commands.AssignRole(incident.id, "deputy", BOB, BOB))  # empty: anyone may fill
    await container.bus.handle(commands.AssignRole(incident.id, "scribe", BOB, BOB))
    with pytest.raises(NotPermitted):  # held now: only managers may change it
        await container.bus.handle(commands.AssignRole(incident.id, "deputy", ALICE, ALICE.__class__("29:eve", "Eve")))
    stored = await container.dependencies.incidents.get(incident.id)
    assert stored.holder("commander") == ALICE and stored.holder("deputy") == BOB
