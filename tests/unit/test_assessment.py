"""Independent risk assessment on the incident: asked, answered blind, revealed together, then decided."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT
from incident.assessment import (
    answer_assessment,
    decide_assessment,
    request_assessment,
    reveal_assessment,
)
from incident.errors import ConfigurationError, IllegalTransition, InvalidValue, NotPermitted, ReasonRequired
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE, BOB
from tests.unit.test_incident_lifecycle import T0, declare

CHLOE = Person(id="29:chloe", name="Chloe Nguyen")
EVE = Person(id="29:eve", name="Eve Outsider")
CRITERIA = ("customer_impact", "security", "revenue", "reputation", "productivity")


def ratings(value: float) -> dict[str, float]:
    return dict.fromkeys(CRITERIA, value)


def asked(policy: OrganisationPolicy, minutes: int = 30) -> Incident:
    incident = declare(policy)
    request_assessment(incident, actor=ALICE, assessors=[ALICE, BOB, CHLOE], at=T0,
                       deadline=timedelta(minutes=minutes))
    return incident


def answer(incident: Incident, policy: OrganisationPolicy, who: Person, likelihood: str, impact: str,
           rating: float = 3, minutes: int = 5, comment: str = "") -> list[str]:
    events = answer_assessment(incident, assessor=who, likelihood=likelihood, impact=impact, ratings=ratings(rating),
                               at=T0 + timedelta(minutes=minutes), policy=policy, comment=comment)
    return [e.kind for e in events]


def visible_text(incident: Incident) -> str:
    """Everything the timeline shows anyone: summaries and before/after values."""
    return json.dumps([(e.summary, dict(e.before), dict(e.after)) for e in incident.pending], ensure_ascii=False)


def test_asking_records_who_was_asked_and_the_deadline(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    event = incident.pending[-1]
    assert event.kind == "assessment_requested"
    assert event.after["assessors"] == "Alice Martin, Bob Durand, Chloe Nguyen"
    assert incident.assessment is not None and incident.assessment.deadline == T0 + timedelta(minutes=30)


def test_answers_stay_out_of_the_timeline_until_the_reveal(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    answer(incident, policy, ALICE, "Almost certain", "Severe", comment="secret-comment")
    answer(incident, policy, BOB, "Rare", "Negligible")
    text = visible_text(incident)
    for value in ("Almost certain", "Severe", "Rare", "Negligible", "secret-comment"):
        assert value not in text
    assert incident.pending[-1].summary == "risk assessment #1: Bob Durand answered (2 of 3)"
    assert incident.assessment is not None and incident.assessment.outcome is None


def test_the_last_answer_reveals_the_aggregate_from_consensus(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    answer(incident, policy, ALICE, "Likely", "Major")
    answer(incident, policy, BOB, "Likely", "Major")
    kinds = answer(incident, policy, CHLOE, "Unlikely", "Major")
    assert kinds == ["assessment_answered", "assessment_revealed"]
    assert incident.assessment is not None
    outcome = incident.assessment.outcome
    assert outcome is not None
    # Likelihood ranks 4, 4, 2: geometric mean 32^(1/3) ≈ 3.17, the nearest level is Possible (3).
    assert outcome.likelihood_mean == pytest.approx(32 ** (1 / 3))
    assert (outcome.likelihood, outcome.impact, outcome.likelihood_spread, outcome.impact_spread) == (
        "Possible", "Major", 2, 0)
    assert outcome.likelihood_outlier == "Chloe Nguyen"
    # 3 x 4 = 12 falls in the High band (10-16), which proposes SEV2; every rating 3 scores 3.0: P2.
    assert (outcome.level, outcome.score, outcome.severity) == ("High", 12.0, "SEV2")
    assert outcome.priority == "P2" and outcome.priority_score == pytest.approx(3.0)
    revealed = incident.pending[-1]
    assert revealed.after["answer:Chloe Nguyen"].startswith("Unlikely × Major")


def test_two_assessors_with_the_same_display_name_are_revealed_apart(policy: OrganisationPolicy) -> None:
    # Teams display names are not unique: two people called Bob Durand must not block the reveal.
    other_bob = Person(id="29:bob-2", name=BOB.name)
    incident = declare(policy)
    request_assessment(incident, actor=ALICE, assessors=[BOB, other_bob], at=T0, deadline=timedelta(minutes=30))
    answer(incident, policy, BOB, "Likely", "Major")
    kinds = answer(incident, policy, other_bob, "Rare", "Major")
    assert kinds == ["assessment_answered", "assessment_revealed"]
    answers = {k: v for k, v in incident.pending[-1].after.items() if k.startswith("answer:")}
    assert len(answers) == 2  # both answers recorded, neither overwriting the other
    assert sorted(v.split(";")[0] for v in answers.values()) == ["Likely × Major", "Rare × Major"]


def test_only_the_people_asked_may_answer(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    with pytest.raises(NotPermitted, match="Eve Outsider was not asked"):
        answer(incident, policy, EVE, "Likely", "Major")


def test_a_second_answer_replaces_the_first_before_the_reveal(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    answer(incident, policy, ALICE, "Rare", "Minor")
    answer(incident, policy, ALICE, "Likely", "Major", minutes=6)
    assert incident.assessment is not None
    assert [(a.assessor.id, a.likelihood) for a in incident.assessment.answers] == [("29:alice", "Likely")]
    assert incident.pending[-1].summary == "risk assessment #1: Alice Martin changed their answer (1 of 3)"


def test_no_answer_after_the_reveal(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    reveal_assessment(incident, at=T0 + timedelta(minutes=30), policy=policy)
    with pytest.raises(IllegalTransition, match="already revealed"):
        answer(incident, policy, ALICE, "Likely", "Major", minutes=31)


def test_an_answer_needs_known_levels_and_every_criterion_rated(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    with pytest.raises(InvalidValue, match="unknown likelihood 'Often'"):
        answer(incident, policy, ALICE, "Often", "Major")
    with pytest.raises(InvalidValue, match="missing: productivity"):
        answer_assessment(incident, assessor=ALICE, likelihood="Likely", impact="Major",
                          ratings={k: 3.0 for k in CRITERIA[:-1]}, at=T0, policy=policy)
    with pytest.raises(InvalidValue, match="not a rating from 1 to 5"):
        answer(incident, policy, ALICE, "Likely", "Major", rating=9)


def test_the_deadline_reveals_what_is_in_and_not_before(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    answer(incident, policy, ALICE, "Likely", "Severe")
    with pytest.raises(IllegalTransition, match="answers stay hidden until all are in or 10:30 UTC"):
        reveal_assessment(incident, at=T0 + timedelta(minutes=29), policy=policy)
    event = reveal_assessment(incident, at=T0 + timedelta(minutes=30), policy=policy)
    assert event is not None and event.after["not_answered"] == "Bob Durand, Chloe Nguyen"
    assert incident.assessment is not None and incident.assessment.outcome is not None
    assert incident.assessment.outcome.level == "Critical"
    assert reveal_assessment(incident, at=T0 + timedelta(minutes=31), policy=policy) is None


def test_nobody_answering_reveals_nothing_to_accept(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    event = reveal_assessment(incident, at=T0 + timedelta(minutes=30), policy=policy)
    assert event is not None and event.summary == "risk assessment #1: nobody answered by the deadline"
    with pytest.raises(IllegalTransition, match="nothing to accept"):
        decide_assessment(incident, actor=ALICE, at=T0 + timedelta(minutes=31), policy=policy, accept=True)


def test_accepting_applies_the_proposed_severity_and_priority(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    for who in (ALICE, BOB, CHLOE):
        answer(incident, policy, who, "Almost certain", "Severe", rating=5)
    events = decide_assessment(incident, actor=ALICE, at=T0 + timedelta(minutes=10), policy=policy, accept=True)
    assert [e.kind for e in events] == ["assessment_accepted", "severity_changed", "priority_changed"]
    assert (incident.severity, incident.priority) == ("SEV1", "P1")
    with pytest.raises(IllegalTransition, match="already accepted"):
        decide_assessment(incident, actor=ALICE, at=T0 + timedelta(minutes=11), policy=policy, accept=True)


def test_overriding_needs_a_reason_and_keeps_it(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    for who in (ALICE, BOB, CHLOE):
        answer(incident, policy, who, "Rare", "Minor", rating=1)
    later = T0 + timedelta(minutes=10)
    with pytest.raises(ReasonRequired):
        decide_assessment(incident, actor=ALICE, at=later, policy=policy, accept=False, severity="SEV1")
    events = decide_assessment(incident, actor=ALICE, at=later, policy=policy, accept=False, severity="SEV1",
                               priority="P2", reason="a regulator is asking")
    assert events[0].kind == "assessment_overridden" and events[0].after["reason"] == "a regulator is asking"
    assert events[0].after["proposed_severity"] == "SEV4"
    assert (incident.severity, incident.priority) == ("SEV1", "P2")


def test_one_assessment_at_a_time_then_a_new_round(policy: OrganisationPolicy) -> None:
    incident = asked(policy)
    with pytest.raises(IllegalTransition, match="still waiting for Alice Martin, Bob Durand, Chloe Nguyen"):
        request_assessment(incident, actor=ALICE, assessors=[BOB], at=T0)
    reveal_assessment(incident, at=T0 + timedelta(minutes=30), policy=policy)
    request_assessment(incident, actor=ALICE, assessors=[BOB, BOB], at=T0 + timedelta(minutes=40))
    assert incident.assessment is not None
    assert (incident.assessment.round, incident.assessment.assessors) == (2, (BOB,))
    with pytest.raises(IllegalTransition, match="#1; #2 has replaced it"):
        answer_assessment(incident, assessor=BOB, likelihood="Rare", impact="Minor", ratings=ratings(1),
                          at=T0 + timedelta(minutes=41), policy=policy, round_number=1)


def test_asking_nobody_is_refused(policy: OrganisationPolicy) -> None:
    with pytest.raises(InvalidValue, match="at least one person"):
        request_assessment(declare(policy), actor=ALICE, assessors=[], at=T0)


def test_the_deadline_comes_from_the_organisation_file(tmp_path: Path) -> None:
    shipped = (ROOT / "config" / "organisation.toml").read_text()
    path = tmp_path / "organisation.toml"
    path.write_text(shipped.replace("deadline_minutes = 30", "deadline_minutes = 45"))
    assert load_organisation(path).assessment_deadline == timedelta(minutes=45)
    path.write_text(shipped.replace("deadline_minutes = 30", "deadline_minutes = 0"))
    with pytest.raises(ConfigurationError, match=r"assessment\.deadline_minutes: Input should be greater than"):
        load_organisation(path)
