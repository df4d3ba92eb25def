"""A security incident's follow-up reaches the tracker (seen more widely) without its details or people."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from adapters.tracker import HttpIssueTracker
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from incident.postmortem import FollowUp, TrackerState
from tests.conftest import ALICE

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
OWNER = Person(id="29:chloe", name="Chloe Nguyen", email="chloe@contoso.example")


FOLLOW_UP = FollowUp(number=1, title="Patch CVE-2026-1234 on the VPN appliance", owner=OWNER,
                     due_at=T0 + timedelta(days=3), created_at=T0, link="https://wiki.example/vpn",
                     tracker_state=TrackerState.PENDING)


def security_incident(policy: OrganisationPolicy) -> Incident:
    return Incident.declare(
        incident_id="INC-2026-0077", title="Ransomware on the file server", summary="", incident_type="security",
        severity="SEV1", declared_by=ALICE, at=T0, policy=policy, roles={"commander": ALICE}, private=True)


@pytest.mark.parametrize("kind", ["github", "azure_devops"])
def test_a_private_incidents_follow_up_is_filed_with_a_neutral_title_and_no_details(
        policy: OrganisationPolicy, kind: str) -> None:
    incident = security_incident(policy)
    tracker = HttpIssueTracker(kind=kind, url="https://tracker.example", token="t", public_url="https://bot.example")
    _, _, body = tracker.request(incident, FOLLOW_UP)
    sent = json.dumps(body)
    assert "Security incident INC-2026-0077 follow-up #1" in sent
    for secret in ("CVE-2026-1234", "Ransomware", "Chloe", "chloe@contoso.example", "wiki.example", "bot.example"):
        assert secret not in sent
