"""Changes other than moves: acknowledge, updates, roles, severity; each appends one timeline event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incident.errors import ExitCriteriaUnmet, IllegalTransition, InvalidValue
from incident.ids import format_incident_id, parse_incident_id
from incident.lifecycle import Status
from incident.model import Incident
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE, BOB, OUTAGE_CRITERIA
from tests.unit.test_incident_lifecycle import T0, declare


def test_declaration_refuses_an_unknown_severity_naming_the_known_ones(policy: OrganisationPolicy) -> None:
    with pytest.raises(InvalidValue, match=r"unknown severity 'SEV9' .*SEV1, SEV2, SEV3, SEV4"):
        Incident.declare(incident_id="X-2026-0001", title="t", summary="", incident_type="outage",
                         severity="SEV9", declared_by=ALICE, at=T0, policy=policy)


@pytest.mark.parametrize(("field", "kwargs", "message"), [
    ("title", {"title": "   "}, "title: is required"),
    ("title", {"title": "x" * 201}, "title: is 201 characters long"),
    ("type", {"incident_type": "meteor"}, "unknown incident type 'meteor'"),
    ("services", {"services": ["checkout", "toaster"]}, "services: unknown toaster"),
    ("roles", {"roles": {"jester": ALICE}}, "unknown role 'jester'"),
])
def test_declaration_refuses_bad_fields(policy: OrganisationPolicy, field: str,
                                        kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "incident_id": "INC-2026-0001", "title": "Checkout failing", "summary": "",
        "incident_type": "outage", "severity": "SEV2", "declared_by": ALICE, "at": T0, "policy": policy,
    }
    arguments.update(kwargs)
    with pytest.raises(InvalidValue, match=message):
        Incident.declare(**arguments)  # type: ignore[arg-type]


def test_declaration_refuses_a_time_without_a_zone(policy: OrganisationPolicy) -> None:
    with pytest.raises(InvalidValue, match="time zone"):
        Incident.declare(incident_id="INC-2026-0001", title="t", summary="", incident_type="outage",
                         severity="SEV2", declared_by=ALICE, at=datetime(2026, 1, 1), policy=policy)


def test_acknowledge_records_who_and_when_once(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    event = incident.acknowledge(actor=BOB, at=T0 + timedelta(minutes=3))
    assert event is not None and event.kind == "acknowledged"
    assert (incident.acknowledged_by, incident.acknowledged_at) == (BOB, T0 + timedelta(minutes=3))
    assert incident.acknowledge(actor=ALICE, at=T0 + timedelta(minutes=4)) is None
    assert incident.acknowledged_by == BOB
    assert len(incident.pending) == 1


def test_an_update_replaces_the_latest_and_keeps_the_previous_in_the_event(
        policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    incident.post_update(actor=ALICE, at=T0 + timedelta(minutes=10), text="Rolling back")
    event = incident.post_update(actor=BOB, at=T0 + timedelta(minutes=40), text="Rollback done")
    assert (incident.last_update, incident.last_update_at) == ("Rollback done", T0 + timedelta(minutes=40))
    assert event.before == {"update": "Rolling back"} and event.after == {"update": "Rollback done"}
    assert [e.sequence for e in incident.pending] == [2, 3]


def test_an_empty_update_is_refused(policy: OrganisationPolicy) -> None:
    with pytest.raises(InvalidValue, match="update: is required"):
        declare(policy).post_update(actor=ALICE, at=T0, text=" \n ")


def test_a_closed_incident_takes_no_more_updates(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    incident.status = Status.CLOSED
    with pytest.raises(IllegalTransition, match="'closed' to 'updated'"):
        incident.post_update(actor=ALICE, at=T0, text="late")


def test_assigning_a_role_records_the_previous_holder(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    event = incident.assign_role(role="commander", person=BOB, actor=ALICE, at=T0, policy=policy)
    assert incident.holder("commander") == BOB
    assert event is not None
    assert (event.before, event.after) == ({"commander": ALICE.name}, {"commander": BOB.name})
    assert incident.assign_role(role="commander", person=BOB, actor=ALICE, at=T0, policy=policy) is None


def test_severity_change_records_old_and_new_and_refuses_unknown_levels(policy: OrganisationPolicy) -> None:
    incident = declare(policy, "SEV3")
    event = incident.change_severity(severity="sev1", actor=ALICE, at=T0, policy=policy, reason="spreading")
    assert incident.severity == "SEV1"
    assert event is not None and (event.before, event.after) == ({"severity": "SEV3"}, {"severity": "SEV1"})
    with pytest.raises(InvalidValue):
        incident.change_severity(severity="SEV0", actor=ALICE, at=T0, policy=policy)


def test_severity_of_a_resolved_incident_is_frozen(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    incident.resolve(actor=ALICE, at=T0, policy=policy, resolution="done", criteria_met=OUTAGE_CRITERIA)
    with pytest.raises(IllegalTransition):
        incident.change_severity(severity="SEV1", actor=ALICE, at=T0, policy=policy)


def test_an_id_is_assigned_once(policy: OrganisationPolicy) -> None:
    incident = Incident.declare(incident_id="", title="t", summary="", incident_type="outage",
                                severity="SEV2", declared_by=ALICE, at=T0, policy=policy)
    incident.assign_id("INC-2026-0007")
    with pytest.raises(InvalidValue):
        incident.assign_id("INC-2026-0008")


def test_incident_ids_are_human_friendly_and_grow_past_four_digits() -> None:
    assert format_incident_id("INC", 2026, 42) == "INC-2026-0042"
    assert format_incident_id("INC", 2026, 12345) == "INC-2026-12345"
    assert parse_incident_id(" inc-2026-0042 ") == "INC-2026-0042"
    with pytest.raises(InvalidValue, match="not an incident id"):
        parse_incident_id("42; DROP TABLE")


def test_business_hours_coverage_follows_the_local_time_zone(policy: OrganisationPolicy) -> None:
    coverage = policy.severity("SEV3").coverage
    # 08:30 UTC on a Friday in November is 09:30 in Paris (UTC+1): covered.
    assert coverage.is_covered(datetime(2026, 11, 27, 8, 30, tzinfo=UTC))
    # 17:30 UTC is 18:30 in Paris: after hours. Saturday is never covered.
    assert not coverage.is_covered(datetime(2026, 11, 27, 17, 30, tzinfo=UTC))
    assert not coverage.is_covered(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    assert policy.severity("SEV1").coverage.is_covered(datetime(2026, 11, 28, 3, 0, tzinfo=UTC))


def test_resolving_with_unmet_exit_criteria_needs_an_override(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    with pytest.raises(ExitCriteriaUnmet, match="Monitoring has been green for 30 minutes"):
        incident.resolve(actor=ALICE, at=T0, policy=policy, resolution="done",
                         criteria_met=["service_restored", "customers_told"])
    assert incident.status is Status.DECLARED and incident.pending == []


def test_an_override_is_kept_in_the_timeline_with_what_was_unmet(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    event = incident.resolve(actor=ALICE, at=T0, policy=policy, resolution="done",
                             criteria_met=["service_restored"], override_reason="Status page vendor is down")
    assert incident.status is Status.RESOLVED
    assert event.after["criteria_met"] == "service_restored"
    assert event.after["criteria_unmet"] == "monitoring_green, customers_told"
    assert event.after["override_reason"] == "Status page vendor is down"


def test_an_unknown_exit_criterion_is_refused(policy: OrganisationPolicy) -> None:
    with pytest.raises(InvalidValue, match="unknown vibes_good"):
        declare(policy).resolve(actor=ALICE, at=T0, policy=policy, resolution="done",
                                criteria_met=[*OUTAGE_CRITERIA, "vibes_good"])


def test_plan_steps_are_ticked_once_each(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    event = incident.complete_plan_step(index=1, actor=BOB, at=T0, policy=policy)
    assert event is not None and event.summary == "Post the first status update"
    assert incident.complete_plan_step(index=1, actor=ALICE, at=T0, policy=policy) is None
    assert incident.plan_done == (1,)
    with pytest.raises(InvalidValue, match="9 is not a step"):
        incident.complete_plan_step(index=8, actor=BOB, at=T0, policy=policy)


def test_only_commander_deputy_and_admins_may_manage(policy: OrganisationPolicy) -> None:
    incident = declare(policy)  # ALICE commands
    assert incident.may_manage(ALICE, admins=())
    assert not incident.may_manage(BOB, admins=())
    assert incident.may_manage(BOB, admins=("29:bob",))
    incident.assign_role(role="deputy", person=BOB, actor=ALICE, at=T0, policy=policy)
    assert incident.may_manage(BOB, admins=())
