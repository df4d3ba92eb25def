"""The incident lifecycle: every legal move, every illegal one, and what each records."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from incident.errors import IllegalTransition, InvalidValue, ReasonRequired
from incident.lifecycle import Status
from incident.model import Incident, TimelineEvent
from incident.policy import OrganisationPolicy
from incident.postmortem import Postmortem
from tests.conftest import ALICE, BOB, OUTAGE_CRITERIA

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
S = Status

# The specification, written out by hand (not derived from the implementation's table).
LEGAL = {
    (S.DECLARED, S.INVESTIGATING), (S.DECLARED, S.IDENTIFIED), (S.DECLARED, S.MONITORING),
    (S.DECLARED, S.RESOLVED),
    (S.INVESTIGATING, S.IDENTIFIED), (S.INVESTIGATING, S.MONITORING), (S.INVESTIGATING, S.RESOLVED),
    (S.IDENTIFIED, S.INVESTIGATING), (S.IDENTIFIED, S.MONITORING), (S.IDENTIFIED, S.RESOLVED),
    (S.MONITORING, S.INVESTIGATING), (S.MONITORING, S.IDENTIFIED), (S.MONITORING, S.RESOLVED),
    (S.RESOLVED, S.INVESTIGATING),  # reopen, with a reason
    (S.RESOLVED, S.POSTMORTEM),  # only where policy requires a postmortem
    (S.RESOLVED, S.CLOSED),  # only where it does not
    (S.POSTMORTEM, S.CLOSED),
}


def declare(policy: OrganisationPolicy, severity: str = "SEV2", incident_type: str = "outage") -> Incident:
    incident = Incident.declare(
        incident_id="INC-2026-0001", title="Checkout failing", summary="Payments time out",
        incident_type=incident_type, severity=severity, declared_by=ALICE, at=T0, policy=policy,
        roles={"commander": ALICE}, services=["checkout"])
    incident.mark_stored()
    return incident


def move(incident: Incident, target: Status, policy: OrganisationPolicy, at: datetime = T0) -> TimelineEvent:
    """The public way to each state: resolve and reopen have methods of their own."""
    if target is S.RESOLVED:
        return incident.resolve(actor=BOB, at=at, policy=policy, resolution="because", criteria_met=OUTAGE_CRITERIA)
    if incident.status is S.RESOLVED and target is S.INVESTIGATING:
        return incident.reopen(actor=BOB, at=at, policy=policy, reason="because")
    return incident.transition(target, actor=BOB, at=at, policy=policy, reason="because")


def at_status(policy: OrganisationPolicy, status: Status, severity: str = "SEV2") -> Incident:
    incident = declare(policy, severity)
    incident.status = status
    if status is S.POSTMORTEM:  # a postmortem under way has been opened, and here it is written
        incident.postmortem = Postmortem(owner=ALICE, opened_at=T0, due_at=T0 + timedelta(days=5),
                                         completed_at=T0, completed_by=ALICE)
    return incident


def test_a_declared_incident_starts_in_declared_with_one_event(policy: OrganisationPolicy) -> None:
    incident = Incident.declare(
        incident_id="INC-2026-0001", title="  Checkout failing ", summary="", incident_type="outage",
        severity="sev1", declared_by=ALICE, at=T0, policy=policy)
    assert incident.status is Status.DECLARED
    assert incident.severity == "SEV1"
    assert incident.title == "Checkout failing"
    [event] = incident.pending
    assert (event.sequence, event.kind, event.actor, event.at) == (1, "declared", ALICE, T0)
    assert event.after["severity"] == "SEV1"


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_every_legal_move_changes_status_and_records_before_and_after(
        policy: OrganisationPolicy, current: Status, target: Status) -> None:
    # SEV1 requires a postmortem, SEV3 does not: pick the one that makes the guarded move legal.
    severity = "SEV3" if (current, target) == (S.RESOLVED, S.CLOSED) else "SEV1"
    incident = at_status(policy, current, severity)
    event = move(incident, target, policy, T0 + timedelta(minutes=5))
    assert incident.status is target
    assert event.before == {"status": current.value}
    assert event.after["status"] == target.value
    assert event.actor == BOB
    assert incident.pending[0] == event  # resolving (SEV1) also opens the postmortem: tests/unit/test_postmortem.py


@pytest.mark.parametrize(("current", "target"),
                         sorted(p for p in itertools.product(Status, Status) if p not in LEGAL))
def test_every_illegal_move_is_refused_naming_both_states(
        policy: OrganisationPolicy, current: Status, target: Status) -> None:
    incident = at_status(policy, current)
    with pytest.raises(IllegalTransition) as raised:
        move(incident, target, policy)
    assert f"'{current.value}'" in str(raised.value)
    assert f"'{target.value}'" in str(raised.value)
    assert incident.status is current
    assert incident.pending == []


def test_closing_without_the_required_postmortem_is_refused(policy: OrganisationPolicy) -> None:
    incident = at_status(policy, S.RESOLVED, "SEV1")
    with pytest.raises(IllegalTransition, match="postmortem is required for SEV1"):
        incident.transition(S.CLOSED, actor=BOB, at=T0, policy=policy)


def test_a_postmortem_is_refused_where_policy_requires_none(policy: OrganisationPolicy) -> None:
    incident = at_status(policy, S.RESOLVED, "SEV3")
    with pytest.raises(IllegalTransition, match="no postmortem is required"):
        incident.transition(S.POSTMORTEM, actor=BOB, at=T0, policy=policy)


def test_the_incident_type_can_require_a_postmortem_whatever_the_severity(
        policy: OrganisationPolicy) -> None:
    incident = declare(policy, "SEV4", "security")
    incident.status = S.RESOLVED
    incident.transition(S.POSTMORTEM, actor=BOB, at=T0, policy=policy)
    assert incident.status is S.POSTMORTEM


def test_reopen_needs_a_reason(policy: OrganisationPolicy) -> None:
    incident = at_status(policy, S.RESOLVED)
    with pytest.raises(ReasonRequired):
        incident.reopen(actor=BOB, at=T0, policy=policy, reason="   ")
    assert incident.status is S.RESOLVED


def test_reopen_returns_to_investigating_and_keeps_the_reason(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    incident.resolve(actor=BOB, at=T0, policy=policy, resolution="Rolled back", criteria_met=OUTAGE_CRITERIA)
    event = incident.reopen(actor=BOB, at=T0 + timedelta(hours=1), policy=policy,
                            reason="Errors are back")
    assert incident.status is S.INVESTIGATING
    assert (event.kind, event.after["reason"]) == ("reopened", "Errors are back")
    assert incident.resolved_at is None and incident.resolution == ""


def test_reopen_of_an_active_incident_is_illegal(policy: OrganisationPolicy) -> None:
    with pytest.raises(IllegalTransition, match="'investigating' to 'investigating'"):
        at_status(policy, S.INVESTIGATING).reopen(actor=BOB, at=T0, policy=policy, reason="x")


def test_resolve_needs_a_resolution_and_records_the_time(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    with pytest.raises(InvalidValue, match="resolution: is required"):
        incident.resolve(actor=BOB, at=T0, policy=policy, resolution="", criteria_met=OUTAGE_CRITERIA)
    later = T0 + timedelta(hours=2)
    incident.resolve(actor=BOB, at=later, policy=policy, resolution="Rolled back release 42",
                     criteria_met=OUTAGE_CRITERIA)
    assert (incident.status, incident.resolved_at, incident.resolution) == (
        S.RESOLVED, later, "Rolled back release 42")


def test_closing_records_the_closed_time(policy: OrganisationPolicy) -> None:
    incident = at_status(policy, S.POSTMORTEM, "SEV1")
    incident.transition(S.CLOSED, actor=BOB, at=T0 + timedelta(days=3), policy=policy)
    assert incident.closed_at == T0 + timedelta(days=3)
    assert not incident.status.is_open


@pytest.mark.parametrize(("current", "target", "method"), [
    (S.INVESTIGATING, S.RESOLVED, "resolve"), (S.RESOLVED, S.INVESTIGATING, "reopen")])
def test_resolve_and_reopen_are_not_bare_status_changes(policy: OrganisationPolicy, current: Status,
                                                        target: Status, method: str) -> None:
    incident = at_status(policy, current)
    with pytest.raises(IllegalTransition, match=f"use '{method}' for this"):
        incident.transition(target, actor=BOB, at=T0, policy=policy, reason="sneaky")
    assert incident.status is current and incident.pending == []


def test_the_postmortem_keeps_the_resolution_time(policy: OrganisationPolicy) -> None:
    incident = declare(policy, "SEV1")
    move(incident, S.RESOLVED, policy, T0 + timedelta(hours=1))
    incident.transition(S.POSTMORTEM, actor=BOB, at=T0 + timedelta(hours=2), policy=policy)
    incident.close(actor=BOB, at=T0 + timedelta(days=2), policy=policy, override_reason="written elsewhere",
                   may_override=True)
    assert incident.resolved_at == T0 + timedelta(hours=1)


def test_a_refused_reopen_leaves_the_resolution_in_place(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    move(incident, S.RESOLVED, policy)
    with pytest.raises(ReasonRequired):
        incident.reopen(actor=BOB, at=T0, policy=policy, reason="")
    assert incident.resolution == "because"
