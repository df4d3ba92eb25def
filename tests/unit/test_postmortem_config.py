"""The organisation file's settings for follow-ups and leadership."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT
from incident.errors import ConfigurationError

SHIPPED = ROOT / "config" / "organisation.toml"


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "organisation.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_raises_overdue_follow_ups_to_the_executives_after_a_week() -> None:
    policy = load_organisation(SHIPPED)
    assert policy.escalation.follow_up_grace == timedelta(days=7)
    assert policy.escalation.leadership_emails == ("leadership@contoso.example",)
    assert policy.severity("SEV1").follow_up_due_days == 14  # the default when a severity names none


def test_a_severity_sets_its_follow_ups_due_days(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "postmortem_due_days = 5\n", "postmortem_due_days = 5\nfollow_up_due_days = 7\n", 1)
    assert load_organisation(written(tmp_path, text)).severity("SEV1").follow_up_due_days == 7


def test_an_unknown_leadership_audience_stops_start_up_naming_it(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace('leadership_audience = "executives"',
                                                       'leadership_audience = "execs"')
    assert tomllib.loads(text)["escalation"]["leadership_audience"] == "execs"
    with pytest.raises(ConfigurationError, match=r"escalation\.leadership_audience: unknown audience 'execs'"):
        load_organisation(written(tmp_path, text))
