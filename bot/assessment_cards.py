"""The risk assessment's cards: the card in the incident thread (who is asked, who has answered, never what),
each assessor's own form and view of their answer, and the reveal with Accept and Override.

The thread card carries ``refresh.userIds`` = the assessors, so Teams asks each of them for their own view
(``assessment.refresh``); everyone else sees the card as posted. Clients without refresh (the Agents
Playground) get the same personal view from the "Give my assessment" button. No view shows anyone an answer
but their own until the reveal.
"""

from __future__ import annotations

import math
from datetime import UTC
from typing import Any

from adapters.templates import markdown_escape, render_card
from bot.actions import choice_input, execute, show_card, text_input
from bot.locale import Translator
from bot.views import mention_entity, mention_text
from incident.assessment import Assessment, AssessmentAnswer
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy

ANSWER = "assessment.answer"
FORM = "assessment.form"
REFRESH = "assessment.refresh"
ACCEPT = "assessment.accept"
OVERRIDE = "assessment.override"


def _data(incident: Incident, assessment: Assessment) -> dict[str, Any]:
    return {"incident_id": incident.id, "round": assessment.round}


def _names(people: tuple[Person, ...], t: Translator) -> str:
    return ", ".join(markdown_escape(p.name) for p in people) or t("assess.none_yet")


def _heading(incident: Incident, assessment: Assessment, t: Translator) -> str:
    return t("assess.heading", round=assessment.round, id=incident.id)


def _deadline(assessment: Assessment) -> str:
    return f"{assessment.deadline.astimezone(UTC):%H:%M}"


def thread_card(incident: Incident, policy: OrganisationPolicy, t: Translator) -> dict[str, Any]:
    """The card everyone in the thread sees: open (who answered, no values) or revealed (the aggregate)."""
    assessment = incident.assessment
    if assessment is None:
        raise ValueError(f"{incident.id} has no risk assessment")
    if not assessment.is_open:
        return revealed_card(incident, policy, t)
    data = _data(incident, assessment)
    answered = tuple(a.assessor for a in assessment.answers)
    who = ", ".join(mention_text(p, card=True) for p in assessment.assessors)
    lines = [t("assess.asked", by=markdown_escape(assessment.requested_by.name), people=who,
               deadline=_deadline(assessment))]
    facts = [{"title": t("assess.answered"), "value": f"{_names(answered, t)} ({len(answered)}/"
                                                      f"{len(assessment.assessors)})"},
             {"title": t("assess.waiting"), "value": _names(assessment.waiting_for(), t)},
             {"title": t("assess.deadline"), "value": f"{_deadline(assessment)} UTC"}]
    return render_card(
        "assessment", heading=_heading(incident, assessment, t), notice="", lines=lines, facts=facts, fields=[],
        details=[], actions=[execute(t("assess.give"), FORM, data, style="positive")],
        refresh={"action": execute("", REFRESH, data), "userIds": [p.id for p in assessment.assessors]},
        mentions=[mention_entity(p) for p in assessment.assessors])


def _ratings_scale(policy: OrganisationPolicy) -> list[int]:
    return list(range(math.ceil(policy.priority.rating_min), math.floor(policy.priority.rating_max) + 1))


def form_card(incident: Incident, policy: OrganisationPolicy, t: Translator, viewer: Person, *,
              notice: str = "") -> dict[str, Any]:
    """One assessor's own form, with their earlier answer filled in: it may be changed until the reveal."""
    assessment = incident.assessment
    assert assessment is not None
    mine = assessment.answer_of(viewer)
    scale = [(str(v), str(v)) for v in _ratings_scale(policy)]
    fields = [
        choice_input("likelihood", t("assess.likelihood"), [(lv.name, lv.name) for lv in policy.risk.likelihood],
                     value=mine.likelihood if mine else "", required=True,
                     error_message=t("assess.likelihood.required")),
        choice_input("impact", t("assess.impact"), [(lv.name, lv.name) for lv in policy.risk.impact],
                     value=mine.impact if mine else "", required=True,
                     error_message=t("assess.impact.required")),
    ]
    for criterion in policy.priority.criteria:
        given = mine.ratings.get(criterion.key) if mine else None
        fields.append(choice_input(f"rating_{criterion.key}", t(
            "assess.rating", criterion=criterion.name, low=scale[0][0], high=scale[-1][0]), scale,
            value=f"{given:g}" if given is not None else "", required=True,
            error_message=t("assess.rating.required", criterion=criterion.name, low=scale[0][0], high=scale[-1][0])))
    fields.append(text_input("comment", t("assess.comment"), value=mine.comment if mine else "", multiline=True,
                             max_length=1000))
    return render_card(
        "assessment", heading=t("assess.form_heading", id=incident.id, round=assessment.round), notice=notice,
        lines=[t("assess.form_intro", deadline=_deadline(assessment))], facts=[], fields=fields, details=[],
        actions=[execute(t("assess.submit"), ANSWER, _data(incident, assessment), style="positive")],
        refresh=None, mentions=[])


def _answer_text(answer: AssessmentAnswer, policy: OrganisationPolicy) -> str:
    names = {c.key: c.name for c in policy.priority.criteria}
    ratings = ", ".join(f"{names.get(k, k)} {v:g}" for k, v in answer.ratings.items())
    comment = f" — “{markdown_escape(answer.comment)}”" if answer.comment else ""
    return (f"**{markdown_escape(answer.assessor.name)}**: {markdown_escape(answer.likelihood)} × "
            f"{markdown_escape(answer.impact)}; {markdown_escape(ratings)}{comment}")


def own_answer_card(incident: Incident, policy: OrganisationPolicy, t: Translator, viewer: Person) -> dict[str, Any]:
    """What an assessor sees once they answered: their own answer only, how many are in, and a way to change it."""
    assessment = incident.assessment
    assert assessment is not None
    mine = assessment.answer_of(viewer)
    if mine is None or not assessment.is_open:
        return form_card(incident, policy, t, viewer) if assessment.is_open else revealed_card(incident, policy, t)
    lines = [t("assess.thanks", answered=len(assessment.answers), total=len(assessment.assessors),
               deadline=_deadline(assessment)), _answer_text(mine, policy)]
    return render_card(
        "assessment", heading=t("assess.form_heading", id=incident.id, round=assessment.round), notice="",
        lines=lines, facts=[], fields=[], details=[],
        actions=[execute(t("assess.change"), FORM, {**_data(incident, assessment), "change": True})],
        refresh=None, mentions=[])


def personal_card(incident: Incident, policy: OrganisationPolicy, t: Translator, viewer: Person) -> dict[str, Any]:
    """The card as ``viewer`` may see it: their form or their answer while open; else the thread's card."""
    assessment = incident.assessment
    if assessment is None or not assessment.is_open or not assessment.is_assessor(viewer):
        return thread_card(incident, policy, t)
    if assessment.answer_of(viewer) is None:
        return form_card(incident, policy, t, viewer)
    return own_answer_card(incident, policy, t, viewer)


def revealed_card(incident: Incident, policy: OrganisationPolicy, t: Translator) -> dict[str, Any]:
    """The aggregate, the proposal, every answer; Accept and Override until the commander has decided."""
    assessment = incident.assessment
    assert assessment is not None and not assessment.is_open
    outcome = assessment.outcome
    heading = t("assess.revealed_heading", round=assessment.round, id=incident.id)
    missing = assessment.waiting_for()
    details = [_answer_text(a, policy) for a in assessment.answers]
    if missing:
        details.append(t("assess.missing", people=_names(missing, t)))
    if outcome is None:
        return render_card("assessment", heading=heading, notice="", lines=[t("assess.nobody_answered")], facts=[],
                           fields=[], details=details, actions=[], refresh=None, mentions=[])
    score = f" ({t('assess.score')} {outcome.score:g})" if outcome.score is not None else ""
    facts = [
        {"title": t("assess.likelihood"), "value": t("assess.axis", level=outcome.likelihood,
                                                      mean=f"{outcome.likelihood_mean:.2f}",
                                                      spread=outcome.likelihood_spread)},
        {"title": t("assess.impact"), "value": t("assess.axis", level=outcome.impact,
                                                  mean=f"{outcome.impact_mean:.2f}", spread=outcome.impact_spread)},
        {"title": t("assess.differed"), "value": t("assess.differed_value",
                                                    likelihood=markdown_escape(outcome.likelihood_outlier),
                                                    impact=markdown_escape(outcome.impact_outlier))},
        {"title": t("assess.level"), "value": f"{outcome.level}{score}"},
        {"title": t("assess.proposed"), "value": t("assess.proposed_value", severity=outcome.severity or "—",
                                                    current=incident.severity)},
        {"title": t("assess.priority"), "value": t("assess.priority_value", priority=outcome.priority,
                                                    score=f"{outcome.priority_score:.2f}")},
    ]
    lines: list[str] = []
    actions: list[dict[str, Any]] = []
    if assessment.decision:
        who = markdown_escape(assessment.decided_by.name if assessment.decided_by else "")
        key = "assess.accepted" if assessment.decision == "accepted" else "assess.overridden"
        lines.append(t(key, who=who, severity=assessment.decided_severity, priority=assessment.decided_priority,
                       reason=markdown_escape(assessment.reason)))
    elif incident.status.is_active:
        lines.append(t("assess.decide_hint"))
        data = _data(incident, assessment)
        priorities = [(b.priority, b.priority) for b in policy.priority.bands]
        actions = [
            execute(t("assess.accept"), ACCEPT, data, style="positive"),
            show_card(t("assess.override"), [
                choice_input("severity", t("incident.severity"), [(s.name, f"{s.name} — {s.description}")
                                                                  for s in policy.severities],
                             value=outcome.severity or incident.severity, required=True,
                             error_message=t("assess.severity.required")),
                choice_input("priority", t("assess.priority"), priorities, value=outcome.priority, required=True,
                             error_message=t("assess.priority.required")),
                text_input("reason", t("assess.override_reason"), multiline=True, required=True, max_length=1000,
                           error_message=t("assess.override_reason.required"))],
                [execute(t("assess.override"), OVERRIDE, data)]),
        ]
    return render_card("assessment", heading=heading, notice="", lines=lines, facts=facts, fields=[],
                       details=details, actions=actions, refresh=None, mentions=[])
