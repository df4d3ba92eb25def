"""Every email template (found in templates/email, so a new one without French fails here) renders in English
and in French; the French render keeps none of the English sentences, and hostile strings stay escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.templates import render_email
from tests.unit.test_email_templates import HOSTILE, TEMPLATES, view

EMAILS = Path(__file__).resolve().parents[2] / "templates" / "email"
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PERSON = {"name": HOSTILE, "email": "ana@contoso.example"}
FOLLOW_UP = {"incident_id": "INC-2026-0001", "number": 1, "title": HOSTILE, "owner": PERSON, "due_at": T0,
             "link": "https://dev.azure.com/x/1", "tracker_url": "https://dev.azure.com/x/1"}


def _days_late(follow_up: Any) -> int:
    return 3


# What each template is given by its sender; every template in the directory must have an entry.
SAMPLES: dict[str, dict[str, Any]] = {
    **TEMPLATES,
    "severity_raised": {"before": "SEV3", "after": "SEV1", "cadence": 30},
    "postmortem_due": {"owner": HOSTILE, "due_at": T0, "overdue": False},
    "postmortem_document": {"postmortem": {"summary": HOSTILE, "impact": HOSTILE}, "follow_ups": [FOLLOW_UP],
                            "html_link": "https://bot.example/doc.html", "markdown_link": "https://bot.example/doc.md"},
    "weekly_digest": {"now": T0, "figures": [("Incidents", HOSTILE)], "days_late": _days_late,
                      "past_due": [{"owner": PERSON, "follow_ups": [FOLLOW_UP]}], "chart_cid": "chart",
                      "chart_description": HOSTILE, "chart_width": 800, "chart_height": 400,
                      "dashboard_url": "https://bot.example/api/dashboard"},
    "roster_report": {"week": "2026-W48", "report": {"at": T0, "ok": False, "findings": [
        {"service": HOSTILE, "role": "commander", "text": HOSTILE}]}},
    "playbook_review": {"needed": 2, "version": {"service": "checkout", "version": 3, "author": PERSON,
                                                 "submitted_at": T0, "owner": HOSTILE, "last_tested": date(2026, 11, 1),
                                                 "text": HOSTILE}},
    "inbound_reply": {"sender_name": HOSTILE, "subject": HOSTILE, "reply": HOSTILE, "id_prefix": "INC"},
    "teams_service_health": {"kind": "down", "issue_id": "TM123", "set_by": HOSTILE, "by_person": False, "at": T0,
                             "issue": {"id": "TM123", "status": "serviceDegradation", "title": HOSTILE,
                                       "impact": HOSTILE}},
    "response_plan": {"incident": {"id": "INC-2026-0001", "severity": "SEV2", "private": False, "title": HOSTILE,
                                   "declared_at": T0, "language": "en"},
                      "kind": "Outage", "primary": HOSTILE, "backups": [HOSTILE], "steps": [
                          {"title": HOSTILE, "role": "Incident commander", "owner": HOSTILE, "minutes": 15}],
                      "holders": [{"role": "Incident commander", "name": HOSTILE, "email": "ana@contoso.example"}]},
    "subscription_confirm": {"title": HOSTILE, "components": [HOSTILE], "hours": 48,
                             "confirm_url": "https://bot.example/api/status/confirm?t=x"},
    "subscriber_update": {"page_title": HOSTILE, "title": HOSTILE, "state": HOSTILE, "components": [HOSTILE],
                          "when": "27 Nov 2026 10:00 UTC", "text": HOSTILE,
                          "unsubscribe_url": "https://bot.example/api/status/unsubscribe?t=x"},
}
# Fixed English sentences and words of the mails; none may be left in a French render.
ENGLISH = ("Latest update", "Severity", "Incident page", "Dashboard", "If Teams is unavailable", "Act without Teams",
           "You receive this", "Declared ", "blameless postmortem", "Write down", "is overdue", "due on",
           "follow-up overdue", "Tracker", "grace period", "incident document", "The postmortem is completed",
           "Summary:", "Follow-ups", "Weekly incident digest", "Last 7 days", "Past-due", "days late", "on time",
           "Chart:", "Open the dashboard", "Roster check", "critical role", "Single points", "Fix them", "Finding",
           "is waiting for your review", "Submitted by", "Owner:", "Last tested", "approval(s)", "Approve:",
           "Reject:", "buttons", "Hello", "About your message", "To declare", "To post an update",
           "automatic answer", "Teams is marked down", "service health", "Until Microsoft", "Details:", "Check it",
           "Title", "You hold a role", "Keep this mail", "Primary channel", "If that is down", "ROLES", "Roles",
           "RESPONSE PLAN", "Response plan", "within ")


def template_names() -> list[str]:
    return sorted({path.name.split(".")[0] for path in EMAILS.glob("*.j2") if not path.name.startswith("_")})


def render(name: str, language: str) -> tuple[str, str]:
    return render_email(name, view=view(language=language), language=language, fr=language == "fr",
                        **SAMPLES[name])


def test_every_template_in_the_directory_has_its_sample() -> None:
    assert [name for name in template_names() if name not in SAMPLES] == []
    assert len(template_names()) >= 16


@pytest.mark.parametrize("name", template_names())
def test_the_french_render_has_no_english_sentence_left(name: str) -> None:
    english, french = render(name, "en"), render(name, "fr")
    for en_part, fr_part in zip(english, french, strict=True):
        assert fr_part != en_part
        assert [phrase for phrase in ENGLISH if phrase in fr_part] == []
    assert '<html lang="fr">' in french[1]


@pytest.mark.parametrize("name", template_names())
def test_the_english_render_stays_english(name: str) -> None:
    text, html = render(name, "en")
    assert '<html lang="en">' in html
    for part in (text, html):
        assert "Tableau de bord" not in part and " : " not in part.replace(HOSTILE, "")


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", template_names())
def test_hostile_strings_are_escaped_in_both_languages(name: str, language: str) -> None:
    text, html = render(name, language)
    assert "<script>" not in html and "<img src=x" not in html and "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in html
    assert HOSTILE in text
