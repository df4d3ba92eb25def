"""Every card the bot sends, built by the bot's own view functions from realistic incidents, in one language.

Each template in cards/ and each variant of it that changes what is on the card: the help in a channel and in a
personal chat, the declaration form fresh, with errors and with 300 services, the incident card in every status
and for its managers, the announcement, the plan, the resolve form, the postmortem, the risk assessment in each
phase, the weekly digest with its real chart, the notices, the reminder, the playbook review and an alert's
triage card. Other alerts reach Teams as text messages (bot/notifier.py ``alert``), not cards.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from adapters.weekly_chart import render_weekly_chart, weekly_chart_description
from bot.assessment_cards import form_card, own_answer_card, revealed_card, thread_card
from bot.declaration import declaration_card
from bot.digest_card import digest_card
from bot.locale import Translator
from bot.playbook_commands import review_card
from bot.postmortem import postmortem_card
from bot.private_space import declared_notice
from bot.replies import help_card
from bot.setup import TeamsSetup
from bot.timeline_capture import Captured, capture_card
from bot.triage_card import triage_card
from bot.views import Member, announcement_card, incident_card, notice_card, plan_card, reminder_card, resolve_card
from incident.assessment import answer_assessment, decide_assessment, request_assessment, reveal_assessment
from incident.lifecycle import PROGRESS
from incident.model import Incident
from incident.notes import Source
from incident.playbook import PlaybookVersion
from incident.policy import OrganisationPolicy
from services.digest import Digest, by_owner
from services.metrics import FollowUpFacts, compute_report
from services.reporting import recent_weeks
from services.triage_ports import TriageCard
from tests.conftest import ALICE, BOB, OUTAGE_CRITERIA
from tests.unit.postmortem_fixtures import CHLOE, longest_postmortem, rich_incident

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)
SETUP = TeamsSetup()
MEMBERS = [Member(ALICE.id, ALICE.name), Member(BOB.id, BOB.name), Member(CHLOE.id, CHLOE.name)]
Cards = dict[str, dict[str, Any]]


def declared(policy: OrganisationPolicy, language: str, *, severity: str = "SEV1", kind: str = "outage",
             private: bool = False) -> Incident:
    return Incident.declare(
        incident_id="INC-2026-0007", title="Checkout fails for card payments",
        summary="Card payments time out at the gateway; about a third of checkouts fail.", incident_type=kind,
        severity=severity, declared_by=ALICE, at=T0, policy=policy, roles={"commander": ALICE, "responder": BOB},
        services=["checkout", "payments"], environments=["production"], regions=["westeurope"],
        private=private, language=language)


def resolved(policy: OrganisationPolicy, language: str, severity: str) -> Incident:
    incident = declared(policy, language, severity=severity)
    incident.acknowledge(actor=ALICE, at=T0 + timedelta(minutes=2))
    incident.post_update(actor=ALICE, at=T0 + timedelta(minutes=20), text="Rolled back release 42; watching.")
    incident.resolve(actor=ALICE, at=T0 + timedelta(minutes=50), policy=policy, resolution="Rolled back release 42",
                     criteria_met=OUTAGE_CRITERIA)
    return incident


def help_cards(t: Translator) -> Cards:
    return {"help in a channel": help_card(t), "help in a personal chat": help_card(t, personal=True),
            "help for an unknown command": help_card(t, unknown="deploy-everything")}


def declaration_cards(policy: OrganisationPolicy, t: Translator) -> Cards:
    def form(members: list[Member], **kwargs: Any) -> dict[str, Any]:
        return declaration_card(policy, SETUP, t, members, form_id="0f3c9a1e2b7d4c65", **kwargs)

    crowded = replace(policy, services=tuple(f"service-{n:03d}" for n in range(300)))
    team = [Member(f"29:person-{n:03d}", f"Person {n:03d}") for n in range(40)]
    typed = {"title": "Checkout fails", "services": "checkout,payments", "summary": "x" * 50}
    return {
        "declaration form": form(MEMBERS, values={"title": "Checkout fails", "commander": ALICE.id}),
        "declaration form with errors": form(MEMBERS, values=typed, notice=t("declare.fix_errors"),
                                             errors={"title": "Give the incident a title.", "services": "Too many."}),
        "declaration form asking to confirm": form(MEMBERS, values=typed, notice=t("declare.not_incident"),
                                                   confirm=True),
        "declaration form with 300 services and 40 people": declaration_card(
            crowded, SETUP, t, team, form_id="0f3c9a1e2b7d4c65", values={"services": "service-250"}),
    }


def incident_cards(policy: OrganisationPolicy, language: str, t: Translator) -> Cards:
    fresh = declared(policy, language)
    cards: Cards = {"incident declared": incident_card(fresh, policy, t, NOW, MEMBERS),
                    "incident declared, the commander's view": incident_card(fresh, policy, t, NOW, MEMBERS,
                                                                             manage=True)}
    acknowledged = declared(policy, language)
    acknowledged.acknowledge(actor=ALICE, at=T0 + timedelta(minutes=2))
    cards["incident acknowledged"] = incident_card(acknowledged, policy, t, NOW, [])
    for status in PROGRESS:
        moved = declared(policy, language)
        moved.transition(status, actor=ALICE, at=T0 + timedelta(minutes=10), policy=policy)
        cards[f"incident {status.value}"] = incident_card(moved, policy, t, NOW, [])
        cards[f"incident {status.value}, the commander's view"] = incident_card(moved, policy, t, NOW, [],
                                                                                manage=True)
    with_postmortem, without = resolved(policy, language, "SEV1"), resolved(policy, language, "SEV3")
    assert with_postmortem.postmortem is not None and without.postmortem is None
    cards["incident resolved with a postmortem"] = incident_card(with_postmortem, policy, t, NOW, [])
    cards["incident resolved without a postmortem"] = incident_card(without, policy, t, NOW, [])
    linked = replace(policy, playbooks=replace(policy.playbooks, link_base="https://devopsbot.contoso.example"))
    with_playbooks = replace(declared(linked, language), playbooks=(("checkout", 3), ("payments", 1)))
    cards["incident with playbooks"] = incident_card(with_playbooks, linked, t, NOW, MEMBERS, manage=True)
    cards["incident with a long history"] = incident_card(rich_incident(policy), policy, t, NOW, [])
    cards["announcement"] = announcement_card(fresh, policy, t, NOW)
    cards["announcement resolved"] = announcement_card(with_postmortem, policy, t, NOW)
    cards["announcement of a private incident"] = announcement_card(
        declared(policy, language, kind="security", private=True), policy, t, NOW)
    return cards


def form_cards(policy: OrganisationPolicy, language: str, t: Translator) -> Cards:
    """The plan, the resolve form and the reminder of an active incident, and the notices forms turn into."""
    incident = declared(policy, language)
    ticked = declared(policy, language)
    ticked.complete_plan_step(index=0, actor=ALICE, at=T0 + timedelta(minutes=5), policy=policy)
    private = declared(policy, language, kind="security", private=True)
    nobody = replace(declared(policy, language), roles={})
    return {
        "plan": plan_card(incident, policy, t), "plan with a step done": plan_card(ticked, policy, t),
        "plan of a resolved incident": plan_card(resolved(policy, language, "SEV1"), policy, t),
        "resolve form": resolve_card(incident, policy, t, values={"criteria_met": list(OUTAGE_CRITERIA[:1])},
                                     standalone=True),
        "resolve form with errors": resolve_card(incident, policy, t, values={"resolution": ""},
                                                 errors={"resolution": "Say how it was resolved."}),
        "resolve form with a notice": resolve_card(incident, policy, t, values={"resolution": "Rolled back"},
                                                   notice="Tick every exit criterion or give an override reason."),
        "reminder": reminder_card(incident, policy, t),
        "reminder without a commander": reminder_card(nobody, policy, t),
        "notice of a declaration": notice_card(declared_notice(incident, SETUP, t)),
        "notice of a private declaration": notice_card(declared_notice(private, SETUP, t)),
        "notice of a resolution": notice_card(t("resolve.done_notice", id=incident.id)),
    }


def postmortem_cards(policy: OrganisationPolicy, language: str, t: Translator) -> Cards:
    written = rich_incident(policy)
    complete = resolved(policy, language, "SEV1")
    assert complete.postmortem is not None
    complete.edit_postmortem(actor=ALICE, at=NOW, policy=policy, sections=dict.fromkeys(
        ("summary", "impact", "went_well", "went_wrong", "got_lucky"), "Written."), factors=["A canary gap"])
    complete.add_follow_up(title="Canary covers card payments", owner=CHLOE, actor=ALICE, at=NOW, policy=policy)
    complete.complete_postmortem(actor=ALICE, at=NOW, policy=policy)
    return {"postmortem": postmortem_card(written, t, BOB),
            "postmortem with a notice": postmortem_card(written, t, BOB, notice="Someone else saved the impact."),
            "postmortem completed": postmortem_card(complete, t, ALICE),
            "postmortem too long to edit": postmortem_card(longest_postmortem(policy, "Release 42 broke it. "), t)}


def assessment_cards(policy: OrganisationPolicy, language: str, t: Translator) -> Cards:
    def assessed(answers: int) -> Incident:
        incident = declared(policy, language)
        request_assessment(incident, actor=ALICE, assessors=[ALICE, BOB, CHLOE], at=T0)
        ratings = {c.key: policy.priority.rating_max for c in policy.priority.criteria}
        for person in [ALICE, BOB, CHLOE][:answers]:
            answer_assessment(incident, assessor=person, likelihood="Likely", impact="Major", ratings=ratings,
                              at=T0 + timedelta(minutes=3), policy=policy, comment="Most checkouts fail")
        return incident

    open_one, revealed, silent = assessed(1), assessed(3), assessed(0)
    reveal_assessment(silent, at=T0 + timedelta(hours=1), policy=policy)
    decided = assessed(3)
    decide_assessment(decided, actor=ALICE, at=NOW, policy=policy, accept=True)
    return {"assessment in the thread": thread_card(open_one, policy, t),
            "assessment form": form_card(open_one, policy, t, BOB),
            "assessment form with a notice": form_card(open_one, policy, t, BOB, notice="Choose a likelihood."),
            "assessment answered": own_answer_card(open_one, policy, t, ALICE),
            "assessment revealed": revealed_card(revealed, policy, t),
            "assessment decided": revealed_card(decided, policy, t),
            "assessment nobody answered": revealed_card(silent, policy, t)}


def review_cards(policy: OrganisationPolicy, t: Translator) -> Cards:
    version = PlaybookVersion("checkout", 3, "# Checkout\n\n1. Check the gateway's status page.\n" * 40, ALICE, T0,
                              "Payments team", date(2026, 11, 1))
    return {"playbook review": review_card(version, replace(policy.playbooks, approvers={"checkout": (BOB, CHLOE)}),
                                           t),
            "playbook review without approvers": review_card(version, policy.playbooks, t)}


def digest_cards(policy: OrganisationPolicy) -> Cards:
    """As devopsbot/weekly_digest.py sends it: the figures, late follow-ups and the chart, a PNG inline."""
    incidents = [rich_incident(policy), resolved(policy, "en", "SEV1"), resolved(policy, "en", "SEV3")]
    now = T0 + timedelta(days=6)
    week = compute_report(incidents, since=now - timedelta(days=7), until=now, now=now,
                          requires_postmortem=lambda severity, kind: policy.postmortem_required(severity, kind, ""))
    since, until = recent_weeks(now)
    trend = compute_report(incidents, since=since, until=until, now=now,
                           requires_postmortem=lambda severity, kind: False)
    late = tuple(FollowUpFacts("INC-2026-0042", n, f"Canary covers card payments, part {n}", CHLOE,
                               T0 - timedelta(days=n)) for n in range(1, 8))
    digest = Digest(now=now, week=week, trend=trend, past_due=by_owner(late))
    chart = render_weekly_chart(trend.weeks)
    return {"weekly digest with the chart": digest_card(
        digest, dashboard_url="https://devopsbot.contoso.example/api/dashboard",
        chart_url="data:image/png;base64," + base64.b64encode(chart).decode(),
        chart_description=weekly_chart_description(trend.weeks))}


def capture_cards(policy: OrganisationPolicy, language: str, t: Translator) -> Cards:
    """The message action's dialog: which incident a Teams message goes to (few choices, then a long list)."""
    captured = Captured("We rolled back release 42 & the errors <stopped>.",
                        Source(BOB, datetime(2026, 11, 27, 10, 5, tzinfo=UTC), "https://teams.microsoft.com/l/message/x"))
    few = [declared(policy, language), declared(policy, language, severity="SEV3")]
    many = [replace(declared(policy, language), id=f"INC-2026-{n:04d}") for n in range(1, 41)]
    return {"add to timeline, in the incident's thread": capture_card(captured, few, few[0].id, t),
            "add to timeline, forty incidents": capture_card(captured, many, "", t)}


def alert_triage_cards(t: Translator) -> Cards:
    """An alert's triage card undecided (with incidents to attach to), decided by someone, and closed by itself."""
    card = TriageCard(signal_key="azure-monitor\x1fpayments-failed-captures\x1ffiring\x1f7a1c", card_id="c" * 40,
                      source="azure-monitor", summary="Failed captures above 50 in 10 minutes", service="payments",
                      severity="SEV3", links=("https://portal.azure.com/#blade/Logs/q/captures",),
                      deadline=T0 + timedelta(minutes=30), after_deadline="dismiss", count=3,
                      open_incidents=(("INC-2026-0001", "Checkout failing"), ("INC-2026-0002", "Payments slow")))
    return {"triage card": triage_card(card, t),
            "triage card declared": triage_card(replace(card, open_incidents=(), decision="declared",
                                                        decided_by="Ana", incident_id="INC-2026-0003"), t),
            "triage card closed at the deadline": triage_card(replace(card, open_incidents=(), decision="expired"),
                                                              t)}


BUILDERS: tuple[Callable[[OrganisationPolicy, str, Translator], Cards], ...] = (
    lambda policy, language, t: help_cards(t),
    lambda policy, language, t: declaration_cards(policy, t),
    incident_cards, form_cards, postmortem_cards, assessment_cards,
    lambda policy, language, t: review_cards(policy, t), capture_cards,
    lambda policy, language, t: alert_triage_cards(t),
)


def every_card(policy: OrganisationPolicy, languages: tuple[str, ...] = ("en", "fr")) -> Cards:
    """Each card in each language, named "<language>: <card>"; the digest (English only) once."""
    cards: Cards = {}
    for language in languages:
        t = Translator(language)
        for build in BUILDERS:
            cards.update({f"{language}: {name}": card for name, card in build(policy, language, t).items()})
    cards.update({f"en: {name}": card for name, card in digest_cards(policy).items()})
    return cards
