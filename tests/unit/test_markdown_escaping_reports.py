"""User text in Markdown reports and playbook review cards is escaped: no planted links, emphasis or table cells."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.locale import Translator
from bot.playbook_commands import review_card
from incident.model import Incident, Person
from incident.playbook import PlaybookVersion
from incident.policy import OrganisationPolicy
from services.metrics import compute_report
from services.report_views import report_markdown
from tests.conftest import ALICE, BOB, OUTAGE_CRITERIA

T0 = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
PLANTED = "[win a prize](https://evil.example) **now** | extra cell"


def test_a_late_follow_ups_title_and_owner_cannot_plant_markdown_in_the_report(policy: OrganisationPolicy) -> None:
    incident = Incident.declare(incident_id="INC-2026-0001", title="Checkout failing", summary="",
                                incident_type="outage", severity="SEV1", declared_by=ALICE, at=T0, policy=policy)
    incident.resolve(actor=ALICE, at=T0 + timedelta(hours=1), policy=policy, resolution="Rolled back",
                     criteria_met=OUTAGE_CRITERIA)
    incident.add_follow_up(title=PLANTED, owner=Person("29:mal", "_Mal_ <b>"), actor=ALICE,
                           at=T0 + timedelta(hours=2), policy=policy, due_at=T0 + timedelta(days=2))
    report = compute_report([incident], since=T0 - timedelta(days=1), until=T0 + timedelta(days=7),
                            now=T0 + timedelta(days=10), requires_postmortem=policy.postmortem_required)
    text = report_markdown(report)
    assert (r"| INC-2026-0001 | #1 \[win a prize\](https://evil.example) \*\*now\*\* \| extra cell | "
            r"\_Mal\_ \<b\> | 2026-10-08 |") in text


def test_the_playbook_owner_on_the_review_card_cannot_plant_markdown(policy: OrganisationPolicy) -> None:
    version = PlaybookVersion("checkout", 1, "# Checkout", ALICE, T0, PLANTED, T0.date())
    card = review_card(version, replace(policy.playbooks, approvers={"checkout": (BOB,)}), Translator("en"))
    facts = {f["title"]: f["value"] for b in card["body"] if b.get("type") == "FactSet" for f in b["facts"]}
    assert facts["Owner"] == r"\[win a prize\](https://evil.example) \*\*now\*\* \| extra cell"
