"""An independent risk assessment of one incident: asked of named assessors, answered blind, revealed together.

The commander (or the deputy, or an incident admin) asks named people for likelihood, impact and a rating
on each priority criterion. Each answers alone; nobody sees another's answer until every one is in or the
deadline passes. Then the answers are combined (``incident.consensus``: geometric means of the ranks, the
spread, who differed most), the risk matrix gives the level and proposes a severity, the priority model
gives the score and P-level, and the commander accepts that or overrides it with a reason.

Rules kept here, as data and small functions on the incident (no I/O, time passed in), built like the
postmortem (``incident/postmortem_changes.py``): each change goes through the incident's public
``record`` (``AssessedSubject``), never its private state:

- only the people asked may answer, and only while the assessment is open and before its deadline;
- a second answer from the same person *replaces* the first: nobody has seen it, so changing one's mind
  before the reveal cannot be groupthink, and a slip of the finger is easily put right;
- timeline events say who answered and how many are in, never what they answered, until the reveal,
  whose event records every answer and the aggregate;
- one assessment at a time: a new one may be asked once the previous one is revealed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from incident.consensus import AssessorAnswer, aggregate_assessments, aggregate_ratings
from incident.errors import IllegalTransition, InvalidValue, NotPermitted, ReasonRequired, UnknownChoice
from incident.lifecycle import Status
from incident.people import Person
from incident.timeline import Recorder, TimelineEvent

if TYPE_CHECKING:
    from incident.policy import OrganisationPolicy

ASSESSMENT_ACTOR = Person(id="devopsbot", name="devopsbot (assessment)")
MAX_ASSESSORS = 15
MAX_COMMENT = 1000
MAX_REASON = 1000
DEFAULT_DEADLINE = timedelta(minutes=30)
MAX_DEADLINE = timedelta(hours=24)


@dataclass(frozen=True)
class AssessmentAnswer:
    """One assessor's answer: level names of the risk matrix, a rating per priority criterion."""

    assessor: Person
    likelihood: str
    impact: str
    ratings: Mapping[str, float]
    comment: str
    answered_at: datetime


@dataclass(frozen=True)
class AssessmentOutcome:
    """What the answers add up to, computed once at the reveal and kept as it was then."""

    likelihood: str  # the level nearest the geometric mean of the ranks
    impact: str
    likelihood_mean: float
    impact_mean: float
    likelihood_spread: int  # highest rank given minus lowest
    impact_spread: int
    likelihood_outlier: str  # who differed most from the group, on each axis
    impact_outlier: str
    level: str  # the risk level of the combined likelihood and impact
    score: float | None  # the matrix's score, when it uses bands
    severity: str  # the severity the level proposes ("" when the matrix maps none)
    priority: str  # P1..P4 from the combined ratings
    priority_score: float
    ratings: Mapping[str, float]  # criterion → geometric mean of the ratings


@dataclass(frozen=True)
class Assessment:
    round: int  # numbered from 1 within the incident
    requested_by: Person
    requested_at: datetime
    deadline: datetime
    assessors: tuple[Person, ...]
    answers: tuple[AssessmentAnswer, ...] = ()
    revealed_at: datetime | None = None
    outcome: AssessmentOutcome | None = None  # None after the reveal: nobody answered in time
    decision: str = ""  # "accepted" or "overridden", once the commander decided
    decided_by: Person | None = None
    decided_at: datetime | None = None
    decided_severity: str = ""
    decided_priority: str = ""
    reason: str = ""  # why the commander overrode the proposal
    answer_history: int = field(default=0, compare=False)  # answers given, replacements included

    @property
    def is_open(self) -> bool:
        return self.revealed_at is None

    def is_assessor(self, person: Person) -> bool:
        return any(p.id == person.id for p in self.assessors)

    def answer_of(self, person: Person) -> AssessmentAnswer | None:
        return next((a for a in self.answers if a.assessor.id == person.id), None)

    def waiting_for(self) -> tuple[Person, ...]:
        answered = {a.assessor.id for a in self.answers}
        return tuple(p for p in self.assessors if p.id not in answered)


class AssessedSubject(Recorder, Protocol):
    """The incident as its risk assessment sees it (``Incident`` is one)."""

    status: Status
    severity: str
    priority: str
    assessment: Assessment | None

    def change_severity(self, *, severity: str, actor: Person, at: datetime, policy: OrganisationPolicy,
                        reason: str = "") -> TimelineEvent | None: ...


def _names(people: Iterable[Person]) -> str:
    return ", ".join(p.name for p in people)


def _labels(answers: Iterable[AssessmentAnswer]) -> dict[str, str]:
    """Person id → how the reveal names them: the display name, with the id added when two people asked
    share it (Teams names are not unique), so neither answer overwrites or blocks the other."""
    given = list(answers)
    names = [a.assessor.name for a in given]
    return {a.assessor.id: a.assessor.name if names.count(a.assessor.name) == 1
            else f"{a.assessor.name} ({a.assessor.id})" for a in given}


def _current(incident: AssessedSubject, round_number: int | None) -> Assessment:
    found = incident.assessment
    if found is None:
        raise IllegalTransition(incident.id, incident.status.value, "assessed",
                                "no risk assessment has been asked for")
    if round_number is not None and round_number != found.round:
        raise IllegalTransition(incident.id, incident.status.value, "assessed",
                                f"this card is for risk assessment #{round_number}; #{found.round} has replaced it")
    return found


def request_assessment(incident: AssessedSubject, *, actor: Person, assessors: Iterable[Person], at: datetime,
                       deadline: timedelta = DEFAULT_DEADLINE) -> TimelineEvent:
    """Ask ``assessors`` (each once, in the order given) for an answer by ``at + deadline``."""
    if not incident.status.is_active:
        raise IllegalTransition(incident.id, incident.status.value, "assessed",
                                "only an active incident is assessed")
    previous = incident.assessment
    if previous is not None and previous.is_open:
        raise IllegalTransition(incident.id, incident.status.value, "assessed",
                                f"risk assessment #{previous.round} is still waiting for "
                                f"{_names(previous.waiting_for())}")
    people = tuple({p.id: p for p in assessors}.values())
    if not people:
        raise InvalidValue("assessors", "name at least one person to assess the risk")
    if len(people) > MAX_ASSESSORS:
        raise InvalidValue("assessors", f"{len(people)} named; at most {MAX_ASSESSORS}")
    if not timedelta(minutes=1) <= deadline <= MAX_DEADLINE:
        raise InvalidValue("deadline", f"{int(deadline.total_seconds() // 60)} minutes is not between 1 and "
                                       f"{int(MAX_DEADLINE.total_seconds() // 60)}")
    due = at + deadline
    assessment = Assessment(round=(previous.round + 1) if previous else 1, requested_by=actor, requested_at=at,
                            deadline=due, assessors=people)
    incident.assessment = assessment
    return incident.record(actor, at, "assessment_requested",
                            f"risk assessment #{assessment.round} asked of {_names(people)}, "
                            f"answers due {due.astimezone(UTC):%H:%M} UTC",
                            after={"round": str(assessment.round), "assessors": _names(people),
                                   "deadline": due.isoformat()})


def answer_assessment(incident: AssessedSubject, *, assessor: Person, likelihood: str | int, impact: str | int,
                      ratings: Mapping[str, float], at: datetime, policy: OrganisationPolicy, comment: str = "",
                      round_number: int | None = None) -> list[TimelineEvent]:
    """Record (or replace) one assessor's answer; the last one in reveals them all."""
    assessment = _current(incident, round_number)
    if not assessment.is_open:
        raise IllegalTransition(incident.id, incident.status.value, "assessed",
                                f"risk assessment #{assessment.round} is already revealed")
    if not assessment.is_assessor(assessor):
        raise NotPermitted(f"{assessor.name} was not asked for risk assessment #{assessment.round} of {incident.id}")
    if at >= assessment.deadline:
        raise IllegalTransition(incident.id, incident.status.value, "assessed",
                                f"the deadline of risk assessment #{assessment.round} "
                                f"({assessment.deadline.astimezone(UTC):%H:%M} UTC) has passed")
    chance = policy.risk.level_of("likelihood", likelihood).name
    effect = policy.risk.level_of("impact", impact).name
    clean_ratings = {key: float(value) for key, value in ratings.items()}
    policy.priority.score(clean_ratings)  # every criterion rated, each within the scale
    text = comment.strip()
    if len(text) > MAX_COMMENT:
        raise InvalidValue("comment", f"is {len(text)} characters long; the limit is {MAX_COMMENT}")
    answer = AssessmentAnswer(assessor, chance, effect, clean_ratings, text, at)
    replaced = assessment.answer_of(assessor) is not None
    answers = (*(a for a in assessment.answers if a.assessor.id != assessor.id), answer)
    incident.assessment = replace(assessment, answers=answers, answer_history=assessment.answer_history + 1)
    count = f"{len(answers)} of {len(assessment.assessors)}"
    # Who and how many, never what: nobody may learn an answer from the timeline before the reveal.
    summary = (f"risk assessment #{assessment.round}: {assessor.name} "
               f"{'changed their answer' if replaced else 'answered'} ({count})")
    events = [incident.record(assessor, at, "assessment_answered", summary,
                               after={"round": str(assessment.round), "assessor": assessor.name,
                                      "answered": str(len(answers)), "of": str(len(assessment.assessors)),
                                      **({"replaced": "true"} if replaced else {})})]
    if len(answers) == len(assessment.assessors):
        events.append(_reveal(incident, at=at, policy=policy, why="every answer is in"))
    return events


def reveal_assessment(incident: AssessedSubject, *, at: datetime, policy: OrganisationPolicy,
                      round_number: int | None = None) -> TimelineEvent | None:
    """At the deadline: reveal what is in (nothing, when nobody answered). Already revealed: nothing to do."""
    assessment = _current(incident, round_number)
    if not assessment.is_open:
        return None
    if at < assessment.deadline:
        due = assessment.deadline.astimezone(UTC)
        raise IllegalTransition(incident.id, incident.status.value, "revealed",
                                f"answers stay hidden until all are in or {due:%H:%M} UTC")
    return _reveal(incident, at=at, policy=policy, why="the deadline passed")


def _reveal(incident: AssessedSubject, *, at: datetime, policy: OrganisationPolicy, why: str) -> TimelineEvent:
    assessment = _current(incident, None)
    answers = assessment.answers
    outcome = outcome_of(answers, policy) if answers else None
    incident.assessment = replace(assessment, revealed_at=at, outcome=outcome)
    missing = assessment.waiting_for()
    after = {"round": str(assessment.round), "answered": str(len(answers)), "of": str(len(assessment.assessors))}
    if missing:
        after["not_answered"] = _names(missing)
    if outcome is None:
        return incident.record(ASSESSMENT_ACTOR, at, "assessment_revealed",
                                f"risk assessment #{assessment.round}: nobody answered by the deadline", after=after)
    labels = _labels(answers)
    for a in answers:
        ratings = ", ".join(f"{key} {value:g}" for key, value in a.ratings.items())
        after[f"answer:{labels[a.assessor.id]}"] = f"{a.likelihood} × {a.impact}; {ratings}" + (
            f"; {a.comment}" if a.comment else "")
    after |= {"likelihood": outcome.likelihood, "impact": outcome.impact, "level": outcome.level,
              "severity": outcome.severity, "priority": outcome.priority,
              "priority_score": f"{outcome.priority_score:.2f}",
              "spread": f"likelihood {outcome.likelihood_spread}, impact {outcome.impact_spread}",
              "differed_most": f"likelihood {outcome.likelihood_outlier}, impact {outcome.impact_outlier}"}
    proposal = f"{outcome.level} risk" + (f", proposes {outcome.severity}" if outcome.severity else "")
    return incident.record(ASSESSMENT_ACTOR, at, "assessment_revealed",
                            f"risk assessment #{assessment.round} revealed ({why}): {outcome.likelihood} × "
                            f"{outcome.impact}, {proposal}, {outcome.priority}", after=after)


def outcome_of(answers: Iterable[AssessmentAnswer], policy: OrganisationPolicy) -> AssessmentOutcome:
    """The group's figures through ``incident.consensus``: the same rules as ``python -m devopsbot risk``."""
    given = list(answers)
    labels = _labels(given)
    group = aggregate_assessments([AssessorAnswer(labels[a.assessor.id], a.likelihood, a.impact) for a in given],
                                  policy.risk)
    rated = aggregate_ratings([(labels[a.assessor.id], a.ratings) for a in given], policy.priority)
    risk = group.assessment
    return AssessmentOutcome(
        likelihood=risk.likelihood.name, impact=risk.impact.name,
        likelihood_mean=group.likelihood.geometric_mean, impact_mean=group.impact.geometric_mean,
        likelihood_spread=group.likelihood.spread, impact_spread=group.impact.spread,
        likelihood_outlier=group.likelihood.differed_most, impact_outlier=group.impact.differed_most,
        level=risk.level, score=risk.score, severity=risk.severity or "",
        priority=rated.score.priority, priority_score=rated.score.score, ratings=dict(rated.ratings))


def decide_assessment(incident: AssessedSubject, *, actor: Person, at: datetime, policy: OrganisationPolicy,
                      accept: bool, severity: str = "", priority: str = "", reason: str = "",
                      round_number: int | None = None) -> list[TimelineEvent]:
    """Accept the proposal, or override it with a reason; the severity changes the way any severity
    change does, and the priority is set on the incident. Decided once per assessment."""
    assessment = _current(incident, round_number)
    if assessment.is_open:
        raise IllegalTransition(incident.id, incident.status.value, "assessment decided",
                                f"risk assessment #{assessment.round} is not revealed yet")
    if assessment.decision:
        who = assessment.decided_by.name if assessment.decided_by else "someone"
        raise IllegalTransition(incident.id, incident.status.value, "assessment decided",
                                f"{who} already {assessment.decision} risk assessment #{assessment.round}; "
                                f"ask for a new one to reassess")
    if not incident.status.is_active:
        raise IllegalTransition(incident.id, incident.status.value, "assessment decided")
    outcome = assessment.outcome
    clean_reason = reason.strip()
    if len(clean_reason) > MAX_REASON:
        raise InvalidValue("reason", f"is {len(clean_reason)} characters long; the limit is {MAX_REASON}")
    if accept:
        if outcome is None:
            raise IllegalTransition(incident.id, incident.status.value, "assessment accepted",
                                    "nobody answered, so there is nothing to accept")
        new_severity = outcome.severity or incident.severity
        new_priority = outcome.priority
    else:
        if not clean_reason:
            raise ReasonRequired("overriding the risk assessment needs a reason")
        new_severity = policy.severity(severity or incident.severity).name
        new_priority = priority_name(priority or incident.priority or (outcome.priority if outcome else ""),
                                      policy)
    decision = "accepted" if accept else "overridden"
    incident.assessment = replace(assessment, decision=decision, decided_by=actor, decided_at=at,
                                  decided_severity=new_severity, decided_priority=new_priority,
                                  reason=clean_reason)
    after = {"round": str(assessment.round), "severity": new_severity, "priority": new_priority}
    if clean_reason:
        after["reason"] = clean_reason
    if outcome is not None:
        after |= {"proposed_severity": outcome.severity, "proposed_priority": outcome.priority}
    text = (f"risk assessment #{assessment.round} {decision} by {actor.name}: {new_severity}, {new_priority}"
            + (f" ({clean_reason})" if clean_reason else ""))
    events = [incident.record(actor, at, f"assessment_{decision}", text, after=after)]
    changed = incident.change_severity(severity=new_severity, actor=actor, at=at, policy=policy,
                                       reason=f"risk assessment #{assessment.round} {decision}")
    if changed is not None:
        events.append(changed)
    if new_priority and new_priority != incident.priority:
        before = {"priority": incident.priority} if incident.priority else {}
        incident.priority = new_priority
        events.append(incident.record(actor, at, "priority_changed",
                                       f"{before.get('priority', 'no priority')} → {new_priority}: "
                                       f"risk assessment #{assessment.round} {decision}",
                                       before=before, after={"priority": new_priority}))
    return events


def priority_name(given: str, policy: OrganisationPolicy) -> str:
    """One of the organisation's priority bands (P1..P4), upper-cased; refused with the known ones listed."""
    known = [band.priority for band in policy.priority.bands]
    wanted = given.strip().upper()
    if not wanted:
        raise InvalidValue("priority", f"choose a priority ({', '.join(known)})")
    if wanted not in known:
        raise UnknownChoice("priority", given, known)
    return wanted
