"""Every incident email renders both parts, and hostile strings never become markup or template code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.templates import render_email

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> {{ 7*7 }} {% raw %} [x](javascript:alert(3))'


def view(**overrides: Any) -> dict[str, Any]:
    return {"id": "INC-2026-0001", "severity": "SEV2", "status": "investigating", "restricted": False,
            "title": HOSTILE, "summary": HOSTILE, "roles": [{"name": "Incident commander", "person": HOSTILE}],
            "latest_update": HOSTILE, "latest_update_at": T0, "declared_at": T0,
            "space_url": "https://teams.microsoft.com/l/message/19%3Aabc/1", "language": "en", "replies": True,
            "page_url": "https://bot.example/api/incidents/INC-2026-0001/document?format=html",
            "dashboard_url": "https://bot.example/api/dashboard",
            "actions": [{"label": "Acknowledge", "url": "https://bot.example/api/act?t=abc.def"}], **overrides}


TEMPLATES: dict[str, dict[str, Any]] = {
    "declared": {"kind": "Outage", "services": [HOSTILE], "commander": HOSTILE, "cadence": 30, "stakeholder": False},
    "status_update": {"changes": [HOSTILE], "stakeholder": True},
    "reminder": {"commander": HOSTILE, "since": "0 h 45 min", "cadence": 30},
    "escalated": {"role": "Incident commander", "reason": HOSTILE, "previous": HOSTILE},
    "resolved": {"resolution": HOSTILE, "resolved_at": T0, "duration": "1 h 00 min"},
    "alert": {"message": HOSTILE},
    "postmortem_due": {"owner": HOSTILE, "due_at": T0, "overdue": True},
    "followup_overdue": {"followup": HOSTILE, "owner": HOSTILE, "due_at": T0, "link": "https://dev.azure.com/x/1",
                         "leadership": True},
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_hostile_strings_are_escaped_in_html_and_inert_in_text(name: str) -> None:
    text, html = render_email(name, view=view(), **TEMPLATES[name])
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in html  # user text is never evaluated as a template
    assert HOSTILE in text  # plain text stays as typed; mail clients show it as text


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_incident_email_shows_status_roles_latest_update_teams_link_and_actions(name: str) -> None:
    text, html = render_email(name, view=view(), **TEMPLATES[name])
    for part in (text, html):
        assert "SEV2" in part and "investigating" in part
        assert "Incident commander" in part and "Latest update" in part
        assert "https://teams.microsoft.com/l/message/19%3Aabc/1" in part
        assert "https://bot.example/api/act?t=abc.def" in part


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_private_incident_read_by_stakeholders_shows_no_details(name: str) -> None:
    text, html = render_email(name, view=view(restricted=True, actions=[]), **TEMPLATES[name])
    for part in (text, html):
        assert "Latest update" not in part and "Incident commander:" not in part.replace("Incident commander</th>", "")
    if name in ("declared", "status_update", "resolved"):
        assert "<script" not in html and "&lt;script" not in html  # the title is not shown at all


@pytest.mark.parametrize("fr", [False, True])
def test_the_severity_raise_mail_escapes_hostile_strings_and_links_back(fr: bool) -> None:
    text, html = render_email("severity_raised", view=view(actions=[]), before="SEV3", after="SEV1", fr=fr,
                              cadence=30)
    assert "<script>" not in html and "&lt;script&gt;" in html and "{{ 7*7 }}" in html and "49" not in html
    assert HOSTILE in text
    for part in (text, html):
        assert "https://teams.microsoft.com/l/message/19%3Aabc/1" in part
        assert "https://bot.example/api/incidents/INC-2026-0001/document?format=html" in part
        assert ("Tableau de bord" if fr else "Dashboard") in part
