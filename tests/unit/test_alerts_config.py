"""The optional [alerts] section of the organisation file: checked at start-up, every name a rule uses known."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT
from incident.errors import ConfigurationError
from incident.policy import OrganisationPolicy
from incident.signals import RuleAction

DEFAULT = (ROOT / "config" / "organisation.toml").read_text(encoding="utf-8")
WITHOUT_ALERTS = DEFAULT[: DEFAULT.index("\n[alerts]")]


def load(tmp_path: Path, text: str) -> OrganisationPolicy:
    path = tmp_path / "organisation.toml"
    path.write_text(text, encoding="utf-8")
    return load_organisation(path)


def rule(**fields: str) -> str:
    lines = "\n".join(f"{k} = {v}" for k, v in fields.items())
    return f'\n[alerts]\n[[alerts.rules]]\nname = "r1"\n{lines}\n'


def test_the_shipped_rules_are_read_in_order_with_the_severity_map(tmp_path: Path) -> None:
    alerts = load(tmp_path, DEFAULT).alerts
    assert [(r.name, r.action) for r in alerts.rules] == [("informational", RuleAction.IGNORE),
                                                          ("page-the-service", RuleAction.DECLARE)]
    assert alerts.severity_map["sev0"] == "SEV1" and alerts.rules[1].exit_criterion == "monitoring_green"


def test_without_alerts_no_rule_acts(tmp_path: Path) -> None:
    assert load(tmp_path, WITHOUT_ALERTS).alerts.rules == ()


@pytest.mark.parametrize(("fields", "problem"), [
    ({"action": '"declare"', "severities": '["SEV9"]'}, r"alerts.rules\[0\].severities: unknown severity 'SEV9'"),
    ({"action": '"declare"', "services": '["kiosk"]'}, r"alerts.rules\[0\].services: unknown service 'kiosk'"),
    ({"action": '"declare"', "incident_type": '"meteor"'}, r"alerts.rules\[0\].incident_type: unknown incident type"),
    ({"action": '"declare"', "incident_type": '"outage"', "exit_criterion": '"party_held"'},
     r"alerts.rules\[0\].exit_criterion: unknown exit criterion of outage 'party_held'"),
    ({"action": '"page"'}, r"alerts.rules\[0\].action"),
    ({"action": '"ignore"', "regex": '".*"'}, r"alerts.rules\[0\].regex: Extra inputs are not permitted"),
    ({"action": '"triage"', "after_deadline": '"escalate"'},
     r"alerts.rules\[0\].after_deadline: Input should be 'declare' or 'dismiss'"),
    ({"action": '"triage"', "triage_minutes": "0"},
     r"alerts.rules\[0\].triage_minutes: Input should be greater than or equal to 1"),
    ({"action": '"declare"', "triage_minutes": "10"}, r"apply to action = \"triage\" only"),
])
def test_a_rule_naming_something_unknown_stops_start_up_naming_it(tmp_path: Path, fields: dict[str, str],
                                                                 problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        load(tmp_path, WITHOUT_ALERTS + rule(**fields))


def test_a_severity_map_to_an_unknown_severity_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"alerts.severity_map.sev0: unknown severity 'P0'"):
        load(tmp_path, WITHOUT_ALERTS + '\n[alerts]\nseverity_map = { sev0 = "P0" }\n')


def test_a_triage_rule_is_accepted_with_its_deadline_and_what_it_does(tmp_path: Path) -> None:
    [given] = load(tmp_path, WITHOUT_ALERTS + rule(action='"triage"', triage_minutes="45",
                                                   after_deadline='"declare"')).alerts.rules
    assert (given.action, given.triage_deadline, given.after_deadline) == (RuleAction.TRIAGE, timedelta(minutes=45),
                                                                           "declare")
    [default] = load(tmp_path, WITHOUT_ALERTS + rule(action='"triage"')).alerts.rules
    assert (default.triage_deadline, default.after_deadline) == (timedelta(minutes=30), "dismiss")
