"""The status page as data: components are the organisation's services, their state follows the active
published incidents' severity, and only what was made public (never a private incident) is on it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from devopsbot.organisation import load_organisation
from incident import publishing
from incident.errors import NotPermitted
from incident.model import Incident
from incident.policy import OrganisationPolicy
from incident.status_page import StatusPage, build_status_page
from tests.conftest import ALICE, OUTAGE_CRITERIA
from tests.unit.test_incident_lifecycle import T0, declare
from tests.unit.test_organisation_config import DEFAULT, error_for


def page(policy: OrganisationPolicy, *incidents: Incident, days: int = 0) -> StatusPage:
    return build_status_page(incidents, policy=policy.status_page, services=policy.services,
                             severity_ranks={s.name: s.rank for s in policy.severities},
                             now=T0 + timedelta(days=days))


def published(policy: OrganisationPolicy, severity: str = "SEV2", text: str = "Looking into it") -> Incident:
    incident = declare(policy, severity=severity)
    publishing.post_public_update(incident, actor=ALICE, at=T0, text=text, policy=policy)
    return incident


def states(shown: StatusPage) -> dict[str, str]:
    return {c.component.key: c.state for c in shown.components}


def test_every_service_is_a_component_with_the_public_name_the_file_gives(policy: OrganisationPolicy) -> None:
    shown = page(policy)
    assert [c.component.key for c in shown.components] == list(policy.services)
    assert {c.component.key: (c.component.name, c.component.group) for c in shown.components}["checkout"] == (
        "Checkout", "Shopping")
    assert set(states(shown).values()) == {"operational"} and shown.overall == "operational"


@pytest.mark.parametrize(("severity", "state"), [
    ("SEV1", "major_outage"), ("SEV2", "partial_outage"), ("SEV3", "degraded_performance"),
    ("SEV4", "degraded_performance")])
def test_a_published_active_incident_sets_its_components_state_by_severity(
        policy: OrganisationPolicy, severity: str, state: str) -> None:
    shown = page(policy, published(policy, severity))
    assert states(shown)["checkout"] == state and states(shown)["payments"] == "operational"
    assert shown.overall == state and [i.title for i in shown.active] == ["Service disruption"]


def test_an_unpublished_incident_changes_nothing_on_the_page(policy: OrganisationPolicy) -> None:
    shown = page(policy, declare(policy, severity="SEV1"))
    assert shown.overall == "operational" and not shown.active and not shown.history


def test_a_private_incident_is_refused_and_never_on_the_page(policy: OrganisationPolicy) -> None:
    incident = declare(policy, severity="SEV1", incident_type="security")
    incident.private = True  # as the service layer declares every security incident
    with pytest.raises(NotPermitted, match="a private incident is never published"):
        publishing.post_public_update(incident, actor=ALICE, at=T0, text="hello", policy=policy)
    with pytest.raises(NotPermitted):
        publishing.set_public_title(incident, actor=ALICE, at=T0, title="hello")
    assert not incident.public.published
    made_public_before = published(policy, "SEV1")
    made_public_before.private = True  # whatever a stored row says, the page drops a private incident first
    assert not page(policy, made_public_before).active and page(policy, made_public_before).overall == "operational"


def test_resolved_incidents_stay_in_the_history_for_the_configured_days(policy: OrganisationPolicy) -> None:
    incident = published(policy)
    incident.resolve(actor=ALICE, at=T0, policy=policy, resolution="fixed", criteria_met=OUTAGE_CRITERIA)
    assert [i.state for i in page(policy, incident, days=89).history] == ["resolved"]
    assert page(policy, incident, days=89).overall == "operational"
    assert not page(policy, incident, days=91).history


def test_only_the_latest_twenty_public_updates_stay_on_the_incident(policy: OrganisationPolicy) -> None:
    incident = declare(policy)
    for n in range(25):
        publishing.post_public_update(incident, actor=ALICE, at=T0 + timedelta(minutes=n), text=f"u{n}",
                                      policy=policy)
    assert [u.text for u in incident.public.updates] == [f"u{n}" for n in range(5, 25)]
    assert len([e for e in incident.pending if e.kind == publishing.PUBLIC_UPDATE]) == 25


def test_a_component_that_is_not_a_service_stops_start_up(tmp_path: Path) -> None:
    error = error_for(tmp_path, DEFAULT.replace("components.checkout =", "components.checkuot =", 1))
    assert error.field == "status_page" or "checkuot" in error.reason
    assert "unknown service 'checkuot'" in error.reason


def test_without_a_status_page_section_every_service_is_shown_by_its_key(tmp_path: Path) -> None:
    text = DEFAULT.split("[status_page]")[0]
    path = tmp_path / "organisation.toml"
    path.write_text(text)
    policy = load_organisation(path)
    assert [c.component.name for c in page(policy).components] == list(policy.services)
