"""A resolved incident with every part of the record filled in, hostile strings included (shared by tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE, BOB, OUTAGE_CRITERIA

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
CHLOE = Person(id="29:chloe", name="Chloe Nguyen", email="chloe@contoso.example")
HOSTILE = "<script>alert(1)</script> {{ 7*7 }} [click](https://evil.example) # not a heading"


def rich_incident(policy: OrganisationPolicy) -> Incident:
    """SEV1 outage: escalated, re-prioritised, plan ticked, resolved with an override, postmortem written,
    two follow-ups (one filed in a tracker, one done). Its events are all still pending."""
    at = T0
    incident = Incident.declare(
        incident_id="INC-2026-0042", title=f"Checkout failing {HOSTILE}", summary="Card payments time out",
        incident_type="outage", severity="SEV2", declared_by=ALICE, at=at, policy=policy,
        roles={"commander": ALICE}, services=["checkout"], priority="P2")
    steps: list[Callable[[datetime], object]] = [
        lambda t: incident.change_severity(severity="SEV1", actor=ALICE, at=t, policy=policy,
                                           reason="EU customers too"),
        lambda t: incident.escalate(role="commander", to=BOB, at=t, policy=policy, reason="not acknowledged"),
        lambda t: incident.assign_role(role="communications_lead", person=CHLOE, actor=BOB, at=t, policy=policy),
        lambda t: incident.complete_plan_step(index=0, actor=BOB, at=t, policy=policy),
        lambda t: incident.post_update(actor=BOB, at=t, text=f"Rolling back {HOSTILE}"),
        # The risk-assessment feature records events of its own; the document shows any such kind.
        lambda t: incident.record(BOB, t, "risk_assessed", "Likely x Major: High", after={"level": "High"}),
        lambda t: incident.resolve(actor=BOB, at=t, policy=policy, resolution="Rolled back release 42",
                                   criteria_met=OUTAGE_CRITERIA[:2], override_reason=f"Support told them {HOSTILE}"),
        lambda t: incident.edit_postmortem(actor=BOB, at=t, policy=policy, sections={
            "summary": f"Release 42 broke card payments {HOSTILE}", "impact": "30% of checkouts failed for 2 h",
            "went_well": "Rollback took 5 minutes", "went_wrong": "The canary did not cover card payments",
            "got_lucky": "It happened on a quiet morning"},
            factors=["The canary's traffic had no card payments", f"Alerts fired late {HOSTILE}"]),
        lambda t: incident.add_follow_up(title=f"Canary covers card payments {HOSTILE}", owner=CHLOE, actor=BOB, at=t,
                                         policy=policy, link="https://wiki.contoso.example/canary", tracked=True),
        lambda t: incident.add_follow_up(title="Page on payment error rate", owner=BOB, actor=BOB, at=t,
                                         policy=policy),
        lambda t: incident.follow_up_filed(number=1, url="https://dev.azure.com/contoso/shop/_workitems/edit/7",
                                           at=t),
        lambda t: incident.complete_follow_up(number=2, actor=BOB, at=t),
    ]
    for minutes, step in enumerate(steps, start=1):
        step(at + timedelta(minutes=5 * minutes))
    return incident


def longest_postmortem(policy: OrganisationPolicy, text: str) -> Incident:
    """A postmortem at every limit (sections, factors, follow-ups), each filled with ``text``."""
    from incident.postmortem import MAX_FACTORS, MAX_FOLLOW_UPS

    incident = Incident.declare(
        incident_id="INC-2026-0042", title=text[:200], summary="", incident_type="outage", severity="SEV1",
        declared_by=ALICE, at=T0, policy=policy, roles={"commander": ALICE})
    incident.resolve(actor=ALICE, at=T0, policy=policy, resolution="Rolled back", criteria_met=OUTAGE_CRITERIA)
    long_text = (text * 4000)[:4000]
    incident.edit_postmortem(actor=ALICE, at=T0, policy=policy,
                             sections=dict.fromkeys(("summary", "impact", "went_well", "went_wrong", "got_lucky"),
                                                    long_text),
                             factors=[f"{n} {text * 1000}"[:1000] for n in range(MAX_FACTORS)])
    for _ in range(MAX_FOLLOW_UPS):
        incident.add_follow_up(title=(text * 200)[:200], owner=CHLOE, actor=ALICE, at=T0, policy=policy,
                               link="https://wiki.contoso.example/" + "x" * 1000)
    return incident


def sample_digest_card(text: str) -> dict[str, object]:
    """The digest card with a past-due follow-up titled ``text`` (for the card tests)."""
    from bot.digest_card import digest_card
    from services.digest import Digest, by_owner
    from services.metrics import FollowUpFacts, compute_report

    now = T0 + timedelta(days=30)
    report = compute_report([], since=now - timedelta(days=7), until=now, now=now,
                            requires_postmortem=lambda severity, kind: False)
    late = tuple(FollowUpFacts("INC-2026-0042", n, text[:200], CHLOE, T0) for n in range(1, 21))
    return digest_card(Digest(now=now, week=report, trend=report, past_due=by_owner(late)),
                       dashboard_url="https://devopsbot.contoso.example/api/dashboard",
                       chart_url="data:image/png;base64," + "A" * 6000, chart_description=text)
