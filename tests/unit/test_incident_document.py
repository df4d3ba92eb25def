"""The incident document, rendered from a rich record: every section present, hostile text inert."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from adapters.documents import render_document
from incident.policy import OrganisationPolicy
from services.incident_document import IncidentDocument, build_document
from tests.unit.postmortem_fixtures import HOSTILE, T0, rich_incident

HEADINGS = ("Summary", "Impact", "Key events", "Severity and priority history", "Risk assessments",
            "Roles over time", "Response plan", "Exit criteria and overrides", "What went well", "What went wrong",
            "Where we got lucky", "Contributing factors", "Follow-ups (priority 1)", "Notes from the conversation",
            "Timeline")


@pytest.fixture
def document(policy: OrganisationPolicy) -> IncidentDocument:
    incident = rich_incident(policy)
    return build_document(incident, list(incident.pending), policy, T0 + timedelta(days=20))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k == "href"]


def test_the_markdown_document_has_every_section_in_order(document: IncidentDocument) -> None:
    markdown = render_document(document, "md")
    found = [line.removeprefix("## ") for line in markdown.splitlines() if line.startswith("## ")]
    assert found == [h for h in HEADINGS if h in found] and set(found) == set(HEADINGS)


def test_the_document_holds_the_record(document: IncidentDocument) -> None:
    markdown = render_document(document, "md")
    for fact in ("severity: SEV2; priority: P2", "severity: SEV1",  # severity and priority history
                 "Likely x Major: High",  # the risk assessment
                 "commander: Bob Durand",  # roles over time, after the escalation
                 "- [x] step 1: Acknowledge and take command",  # response plan progress
                 "Unmet: Customers and support have been told it is fixed",  # exit criteria
                 "Rollback took 5 minutes", "The canary did not cover card payments", "a quiet morning",
                 "The canary's traffic had no card payments",  # contributing factors
                 "Which signals were missing, late or misleading?",  # a blameless prompt
                 "| 2 | Page on payment error rate | Bob Durand | 2026-12-11 10:50:00 UTC | done |",
                 "https://dev.azure.com/contoso/shop/\\_workitems/edit/7"):
        assert fact in markdown, fact
    assert "| 1 | Canary covers card payments" in markdown and "| overdue |" in markdown


def test_the_timeline_gives_every_event_with_its_date_and_time_zone(document: IncidentDocument) -> None:
    markdown = render_document(document, "md")
    timeline = markdown.split("## Timeline", 1)[1]
    rows = [line for line in timeline.splitlines() if re.match(r"\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \|", line)]
    assert len(rows) == len(document.timeline) == 15
    assert "2026-11-27 10:35:00 UTC" in rows[7] and "(UTC)" in rows[7]


def test_business_hours_severities_give_local_times_in_their_zone(policy: OrganisationPolicy) -> None:
    incident = rich_incident(policy)
    incident.severity = "SEV3"  # business hours in Europe/Paris
    document = build_document(incident, list(incident.pending), policy, T0)
    assert document.timeline[0].at.local == "2026-11-27 11:00:00 CET (Europe/Paris)"


def test_markdown_escapes_hostile_text(document: IncidentDocument) -> None:
    markdown = render_document(document, "md")
    assert "<script>" not in markdown
    assert "](https://evil.example)" not in markdown.replace("\\](", "")  # no link can be formed
    assert "\\[click\\]" in markdown
    assert "{{ 7\\*7 }}" in markdown and "49" not in markdown  # data, never template source
    assert "\n# not a heading" not in markdown
    assert HOSTILE not in markdown


def test_html_is_escaped_and_runs_no_script(document: IncidentDocument) -> None:
    html = render_document(document, "html")
    parser = _Tags()
    parser.feed(html)
    assert "script" not in parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and ">49<" not in html
    assert set(parser.links) == {"https://wiki.contoso.example/canary",
                                 "https://dev.azure.com/contoso/shop/_workitems/edit/7"}
    assert all(f">{h}</h2>" in html for h in HEADINGS if h not in ("Follow-ups (priority 1)",))


def test_an_incident_without_postmortem_or_risk_still_renders(policy: OrganisationPolicy) -> None:
    from incident.model import Incident
    from tests.conftest import ALICE

    incident = Incident.declare(incident_id="INC-2026-0007", title="Search slow", summary="", incident_type="outage",
                                severity="SEV4", declared_by=ALICE, at=T0, policy=policy)
    document = build_document(incident, list(incident.pending), policy, T0)
    markdown = render_document(document, "md")
    assert "No risk assessment was recorded." in markdown and "Not resolved yet." in markdown
    assert "| Postmortem | not required |" in markdown


def test_the_latest_risk_assessment_is_summarised(policy: OrganisationPolicy) -> None:
    from incident.assessment import Assessment, AssessmentOutcome
    from tests.conftest import ALICE, BOB

    incident = rich_incident(policy)
    outcome = AssessmentOutcome(
        likelihood="Likely", impact="Major", likelihood_mean=4.0, impact_mean=4.2, likelihood_spread=1,
        impact_spread=2, likelihood_outlier="Bob", impact_outlier="Alice", level="High", score=16.0,
        severity="SEV1", priority="P1", priority_score=0.8, ratings={})
    incident.assessment = Assessment(
        round=1, requested_by=ALICE, requested_at=T0, deadline=T0 + timedelta(minutes=30), assessors=(ALICE, BOB),
        revealed_at=T0 + timedelta(minutes=20), outcome=outcome, decision="overridden", decided_by=ALICE,
        decided_severity="SEV1", decided_priority="P2", reason=HOSTILE)
    document = build_document(incident, list(incident.pending), policy, T0 + timedelta(days=1))
    markdown = render_document(document, "md")
    assert "Latest: round: 1; likelihood: Likely; impact: Major; risk level: High; proposed severity: SEV1; " \
           "proposed priority: P1; decision: overridden; decided severity: SEV1; decided priority: P2" in markdown
    assert "<script>" not in markdown and "&lt;script&gt;" in render_document(document, "html")
