"""The organisation file: the shipped default loads, and every kind of mistake is named precisely."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT
from incident.errors import ConfigurationError
from incident.policy import CoverageKind, OrganisationPolicy

DEFAULT = (ROOT / "config" / "organisation.toml").read_text()


def test_the_shipped_default_is_complete(policy: OrganisationPolicy) -> None:
    assert [s.name for s in policy.severities] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert [s.rank for s in policy.severities] == [1, 2, 3, 4]
    sev1 = policy.severity("SEV1")
    assert sev1.update_cadence == timedelta(minutes=30)
    assert sev1.coverage.kind is CoverageKind.ALWAYS
    assert sev1.postmortem_required and "communications_lead" in sev1.required_roles
    assert policy.severity("SEV3").coverage.timezone == "Europe/Paris"
    for incident_type in policy.incident_types:
        assert incident_type.exit_criteria
        assert incident_type.response_plan.steps
        assert incident_type.response_plan.communication.backup_methods
    assert {r.key for r in policy.roles if r.critical} >= {"commander", "deputy", "communications_lead"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "organisation.toml"
    path.write_text(text)
    return path


def error_for(tmp_path: Path, text: str) -> ConfigurationError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as raised:
        load_organisation(path)
    assert str(path) in str(raised.value)
    return raised.value


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"nowhere\.toml: file not found"):
        load_organisation(tmp_path / "nowhere.toml")


def test_invalid_toml_reports_the_line(tmp_path: Path) -> None:
    error = error_for(tmp_path, DEFAULT.replace('name = "Contoso"', 'name = "Contoso'))
    assert "not valid TOML" in error.reason and "line 6" in error.reason


@pytest.mark.parametrize(("old", "new", "field", "reason"), [
    ("ack_timeout_minutes = 5\n", "ack_timeout_minutes = 0\n",
     "severities.SEV1.ack_timeout_minutes", "greater than 0"),
    ("update_cadence_minutes = 30\n", "update_cadence_minutes = \"often\"\n",
     "severities.SEV1.update_cadence_minutes", "valid integer"),
    ('id_prefix = "INC"', 'id_prefix = "inc-"', "organisation.id_prefix", "match pattern"),
    ('timezone = "Europe/Paris"', 'timezone = "Mars/Olympus"', "severities.SEV3.coverage.timezone",
     "not an IANA time zone"),
    ('start = "09:00", end = "18:00" }', 'start = "18:00", end = "09:00" }', "severities.SEV3.coverage",
     "start must be before end"),
    ("[roles.scribe]\n", "[roles.scribe]\ncolour = \"red\"\n", "roles.scribe.colour",
     "Extra inputs are not permitted"),
    ('backup_methods = ["Email: incidents@contoso.example", "Phone bridge: +1 555 0100, PIN 4242"]\n\n'
     '[incident_types.security]',
     'backup_methods = []\n\n[incident_types.security]',
     "incident_types.degradation.response_plan.communication.backup_methods", "at least 1 item"),
])
def test_a_bad_field_is_named_with_its_path_and_reason(tmp_path: Path, old: str, new: str, field: str,
                                                       reason: str) -> None:
    assert old in DEFAULT
    error = error_for(tmp_path, DEFAULT.replace(old, new, 1))
    assert error.field == field
    assert reason in error.reason


def test_a_missing_section_is_named(tmp_path: Path) -> None:
    text = DEFAULT.split("# Incident types:")[0]
    error = error_for(tmp_path, text)
    assert error.field == "incident_types" and "Field required" in error.reason


def test_a_reference_to_an_undefined_role_is_named(tmp_path: Path) -> None:
    error = error_for(tmp_path, DEFAULT.replace(
        'required_roles = ["commander", "deputy", "communications_lead"]',
        'required_roles = ["commander", "astronaut"]'))
    assert "severities.SEV1.required_roles: unknown role 'astronaut'" in str(error)


def test_a_reference_to_an_undefined_audience_is_named(tmp_path: Path) -> None:
    error = error_for(tmp_path, DEFAULT.replace('audiences = ["support"]', 'audiences = ["press"]'))
    assert "severities.SEV3.audiences: unknown audience 'press'" in str(error)


def test_a_plan_step_owned_by_an_undefined_role_is_named(tmp_path: Path) -> None:
    error = error_for(tmp_path, DEFAULT.replace('owner_role = "responder", due_minutes = 20',
                                                'owner_role = "intern", due_minutes = 20'))
    assert "incident_types.outage.response_plan.steps[2].owner_role: unknown role 'intern'" in str(error)


def test_acknowledging_starts_the_investigation_unless_the_file_says_otherwise(tmp_path: Path,
                                                                              policy: OrganisationPolicy) -> None:
    assert policy.acknowledge_starts_investigation
    outage = policy.incident_type("outage").response_plan.steps
    assert [s.done_when for s in outage] == ["acknowledged", "first_update", "", "public_update"]
    without_section = DEFAULT.replace("[lifecycle]\nacknowledge_starts_investigation = true\n", "")
    assert without_section != DEFAULT
    assert load_organisation(write(tmp_path, without_section)).acknowledge_starts_investigation
    off = DEFAULT.replace("acknowledge_starts_investigation = true", "acknowledge_starts_investigation = false")
    assert not load_organisation(write(tmp_path, off)).acknowledge_starts_investigation


@pytest.mark.parametrize(("old", "new", "field", "reason"), [
    ("acknowledge_starts_investigation = true", 'acknowledge_starts_investigation = "sometimes"',
     "lifecycle.acknowledge_starts_investigation", "valid boolean"),
    ('due_minutes = 5, done_when = "acknowledged" }', 'due_minutes = 5, done_when = "acknowledged_by_magic" }',
     "incident_types.outage.response_plan.steps[0].done_when", "'first_update' or 'public_update'"),
])
def test_a_bad_lifecycle_setting_stops_start_up_naming_the_field(tmp_path: Path, old: str, new: str, field: str,
                                                                  reason: str) -> None:
    assert old in DEFAULT
    error = error_for(tmp_path, DEFAULT.replace(old, new, 1))
    assert error.field == field
    assert reason in error.reason


def test_the_organisations_language_is_english_unless_the_file_says_french(tmp_path: Path) -> None:
    assert load_organisation(write(tmp_path, DEFAULT)).language == "en"
    french = DEFAULT.replace('# language = "en"', 'language = "fr"', 1)
    assert load_organisation(write(tmp_path, french)).language == "fr"
    error = error_for(tmp_path, DEFAULT.replace('# language = "en"', 'language = "de"', 1))
    assert "organisation.language" in str(error)
