"""Effort per priority: an optional ``[priorities.P1]`` table tightens the severity's effort, never loosens
it, and the incident card says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.effort import effort_facts
from bot.locale import Translator
from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT
from incident.errors import ConfigurationError
from incident.model import Incident
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
DEFAULT = (ROOT / "config" / "organisation.toml").read_text()
P1_TABLE = """
[priorities.P1]
update_cadence_minutes = 15
ack_timeout_minutes = 90
required_roles = ["communications_lead"]
audiences = ["executives", "support"]
postmortem_required = true
"""


def load(tmp_path: Path, extra: str) -> OrganisationPolicy:
    path = tmp_path / "organisation.toml"
    path.write_text(DEFAULT + extra)
    return load_organisation(path)


def test_a_priority_the_bands_cannot_give_is_refused_naming_file_field_and_reason(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load(tmp_path, "\n[priorities.P9]\nupdate_cadence_minutes = 15\n")
    assert raised.value.source == str(tmp_path / "organisation.toml")
    assert "priorities: unknown priority 'P9' (defined: P1, P2, P3, P4)" in str(raised.value)


def test_a_priority_naming_an_undefined_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"priorities\.P1\.required_roles: unknown role 'astronaut'"):
        load(tmp_path, '\n[priorities.P1]\nrequired_roles = ["astronaut"]\n')


def test_a_priority_tightens_the_severitys_effort_and_never_loosens_it(tmp_path: Path) -> None:
    effort = load(tmp_path, P1_TABLE).effort("SEV3", "P1")  # SEV3: 120 min cadence, 60 min to acknowledge
    assert effort.update_cadence == timedelta(minutes=15)  # the priority's, shorter
    assert effort.ack_timeout == timedelta(minutes=60)  # the severity's: P1's 90 would loosen it
    assert effort.required_roles == ("commander", "communications_lead")
    assert effort.audiences == ("support", "executives")  # both, each once
    assert effort.postmortem_required
    assert effort.tightened == ("update_cadence", "required_roles", "audiences", "postmortem_required")


def test_without_a_configured_priority_the_severity_alone_decides(tmp_path: Path) -> None:
    policy = load(tmp_path, P1_TABLE)
    sev3 = policy.severity("SEV3")
    for priority in ("", "P2"):
        effort = policy.effort("SEV3", priority)
        assert (effort.update_cadence, effort.ack_timeout, effort.required_roles, effort.audiences,
                effort.postmortem_required, effort.tightened) == (
            sev3.update_cadence, sev3.ack_timeout, sev3.required_roles, sev3.audiences, False, ())


def test_a_priority_requiring_a_postmortem_and_stakeholders_applies_to_the_incident(tmp_path: Path) -> None:
    policy = load(tmp_path, P1_TABLE)
    assert not policy.postmortem_required("SEV3", "degradation")
    assert policy.postmortem_required("SEV3", "degradation", "P1")
    assert set(policy.stakeholders("SEV3", "P1")) > set(policy.stakeholders("SEV3"))


def test_the_card_shows_the_tightened_effort_and_says_the_priority_tightened_it(tmp_path: Path) -> None:
    policy = load(tmp_path, P1_TABLE)
    incident = Incident.declare(
        incident_id="INC-2026-0001", title="Checkout failing", summary="", incident_type="outage",
        severity="SEV3", declared_by=ALICE, at=T0, policy=policy,
        roles={"commander": ALICE}, priority="P1")
    facts = {f["title"]: f["value"] for f in effort_facts(incident, policy, Translator("en"))}
    assert facts["Priority"] == "P1"
    effort = facts["Effort for SEV3, tightened by P1"]
    assert "update every 15 min" in effort and "acknowledge within 60 min" in effort
    assert "Communications lead" in effort and "executives" in effort
