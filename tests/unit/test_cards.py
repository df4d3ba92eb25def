"""Card templates: values are escaped JSON literals, undefined variables fail, every card renders small."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import jinja2
import pytest

from adapters.templates import CARDS, card_environment, markdown_escape, render_card
from bot.declaration import declaration_card
from bot.locale import Translator
from bot.playbook_commands import review_card
from bot.postmortem import postmortem_card
from bot.replies import help_card
from bot.setup import TeamsSetup
from bot.timeline_capture import MAX_CHOICES, Captured, capture_card
from bot.triage_card import triage_card
from bot.views import (
    Member,
    announcement_card,
    incident_card,
    notice_card,
    plan_card,
    reminder_card,
    resolve_card,
)
from incident.model import Incident
from incident.notes import Source
from incident.playbook import PlaybookVersion
from incident.policy import OrganisationPolicy
from services.triage_ports import TriageCard
from tests.conftest import ALICE, BOB
from tests.unit.assessment_fixtures import longest_assessment_card
from tests.unit.postmortem_fixtures import longest_postmortem, sample_digest_card

HOSTILE = 'Quote " backslash \\ newline \n <script>alert(1)</script> {{ 7*7 }} ${x} [x](https://evil) \u2028'
NOW = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


def hostile_incident(policy: OrganisationPolicy, private: bool = False) -> Incident:
    return Incident.declare(
        incident_id="INC-2026-0001", title=HOSTILE[:200], summary=(HOSTILE * 50)[:4000], incident_type="outage",
        severity="SEV1", declared_by=ALICE, at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC), policy=policy,
        roles={"commander": ALICE}, private=private)


def every_card(policy: OrganisationPolicy) -> dict[str, dict[str, object]]:
    t = Translator("en")
    incident = hostile_incident(policy)
    return {
        "help": help_card(t, unknown=HOSTILE),
        "declare": declaration_card(policy, TeamsSetup(), t, [Member("29:a", HOSTILE)], form_id="abcdef012345",
                                    values={"title": HOSTILE}, errors={"title": HOSTILE}, notice=HOSTILE),
        "incident": incident_card(incident, policy, t, NOW, []),
        "plan": plan_card(incident, policy, t),
        "resolve": resolve_card(incident, policy, t, values={"resolution": HOSTILE}, errors={"resolution": "x"}),
        "reminder": reminder_card(incident, policy, t),
        "notice": notice_card(HOSTILE),
        "playbook_review": review_card(
            PlaybookVersion("checkout", 1, HOSTILE * 100, ALICE, NOW, HOSTILE, NOW.date()),
            replace(policy.playbooks, approvers={"checkout": (BOB,)}), t),
        "postmortem": postmortem_card(longest_postmortem(policy, HOSTILE), t),
        "digest": sample_digest_card(HOSTILE),
        "assessment": longest_assessment_card(policy, hostile_incident(policy), HOSTILE),
        "capture": capture_card(Captured((HOSTILE * 100)[:4000], Source(BOB, NOW, "")), [
            replace(incident, id=f"INC-2026-{n:04d}") for n in range(1, MAX_CHOICES + 1)], "INC-2026-0001", t),
        "triage": triage_card(TriageCard(
            signal_key=HOSTILE * 10, card_id="c" * 40, source="generic", summary=HOSTILE[:300], service=HOSTILE[:200],
            severity="SEV1", links=(f"https://logs.example/{HOSTILE}", "https://logs.example/q?a=1") * 5,
            deadline=NOW, after_deadline="declare", count=10**9,
            open_incidents=tuple((f"INC-2026-{n:04}", HOSTILE[:200]) for n in range(20))), t),
    }


def test_hostile_text_arrives_verbatim_except_for_escaped_markdown(policy: OrganisationPolicy) -> None:
    card = every_card(policy)["help"]
    notice = card["body"][1]["text"]  # type: ignore[index]
    assert notice == f"I don't know the command '{markdown_escape(HOSTILE[:60])}'."
    assert "49" not in json.dumps(card)  # the template engine did not evaluate user text
    link = help_card(Translator("en"), unknown="[x](https://evil)")["body"][1]["text"]
    assert link == "I don't know the command '\\[x\\](https://evil)'."  # no link without [ ]


def test_an_undefined_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_card("help", heading="h", notice="", intro="i", commands=[], manual="m")


def test_every_card_template_renders_within_schema_1_5_and_28_kb(policy: OrganisationPolicy) -> None:
    cards = every_card(policy)
    assert sorted(cards) == sorted(p.name.removesuffix(".json.j2") for p in CARDS.glob("*.json.j2"))
    for name, card in cards.items():
        assert card["type"] == "AdaptiveCard", name
        assert float(str(card["version"])) <= 1.5, name
        assert len(json.dumps(card).encode()) < 28_000, name


def test_long_text_is_cut_with_a_pointer_to_the_timeline(policy: OrganisationPolicy) -> None:
    card = every_card(policy)["incident"]
    summary = card["body"][1]["text"]  # type: ignore[index]
    assert len(summary) < 2000 and summary.endswith("see the full timeline with 'status INC-2026-0001')")


def test_a_private_incident_is_announced_without_details(policy: OrganisationPolicy) -> None:
    card = announcement_card(hostile_incident(policy, private=True), policy, Translator("en"), NOW)
    text = json.dumps(card)
    assert "script" not in text and "Quote" not in text
    assert "Details are restricted to its responders" in text


def test_cards_follow_the_readers_language(policy: OrganisationPolicy) -> None:
    incident = hostile_incident(policy)
    english = json.dumps(incident_card(incident, policy, Translator("en-GB"), NOW, []))
    french = json.dumps(incident_card(incident, policy, Translator("fr-FR"), NOW, []), ensure_ascii=False)
    assert "Acknowledge" in english and "Acknowledge" not in french
    assert Translator("fr-FR")("action.ack") in french


def test_the_environment_is_built_once() -> None:
    assert card_environment() is card_environment()
