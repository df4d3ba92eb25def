"""Links on follow-ups are clicked from cards, the document and the tracker: only http(s) links are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incident.errors import InvalidValue
from incident.model import Incident
from incident.policy import OrganisationPolicy
from incident.postmortem import TrackerState
from tests.conftest import ALICE, BOB, OUTAGE_CRITERIA

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def with_pending_follow_up(policy: OrganisationPolicy) -> Incident:
    incident = Incident.declare(
        incident_id="INC-2026-0042", title="Checkout failing", summary="", incident_type="outage", severity="SEV1",
        declared_by=ALICE, at=T0, policy=policy, roles={"commander": ALICE})
    incident.resolve(actor=ALICE, at=T0 + timedelta(hours=1), policy=policy, resolution="Rolled back",
                     criteria_met=OUTAGE_CRITERIA)
    incident.add_follow_up(title="Fix", owner=BOB, actor=ALICE, at=T0 + timedelta(hours=2), policy=policy,
                           tracked=True)
    return incident


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://tracker.example/1",
                                 "https://", "https://tracker.example/1 onclick=x", ""])
def test_a_follow_up_is_not_recorded_as_filed_with_anything_but_a_web_link(policy: OrganisationPolicy,
                                                                             url: str) -> None:
    incident = with_pending_follow_up(policy)
    with pytest.raises(InvalidValue, match="tracker link"):
        incident.follow_up_filed(number=1, url=url, at=T0 + timedelta(hours=3))
    assert incident.follow_up(1).tracker_state == TrackerState.PENDING


def test_a_follow_up_filed_with_a_web_link_keeps_it(policy: OrganisationPolicy) -> None:
    incident = with_pending_follow_up(policy)
    incident.follow_up_filed(number=1, url="HTTPS://dev.azure.com/contoso/shop/_workitems/edit/7",
                             at=T0 + timedelta(hours=3))
    assert incident.follow_up(1).tracker_url == "HTTPS://dev.azure.com/contoso/shop/_workitems/edit/7"


def test_a_follow_up_link_to_no_host_is_refused(policy: OrganisationPolicy) -> None:
    incident = with_pending_follow_up(policy)
    with pytest.raises(InvalidValue, match="link"):
        incident.add_follow_up(title="Fix", owner=BOB, actor=ALICE, at=T0 + timedelta(hours=3), policy=policy,
                               link="https://?q=wiki")
