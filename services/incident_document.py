"""The incident document's content, assembled from the stored record (the incident and its timeline).

Plain data for the templates under ``templates/postmortem/``: every section a reader expects, with times
given in UTC and in the organisation's zone. Rendering (and escaping) is the template environment's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incident.errors import InvalidValue
from incident.instants import parse_instant
from incident.model import Incident, TimelineEvent
from incident.notes import notes_of
from incident.policy import OrganisationPolicy
from incident.postmortem import BLAMELESS_PROMPTS, SECTIONS
from services.document_language import PROMPTS_FR, detail_key, event_text, section_heading, state_word

# Event kinds that belong to the risk assessment (added by the risk-assessment feature); any kind naming
# risk or assessment is shown, so the document keeps up without knowing each one.
RISK_WORDS = ("risk", "assess")
ROLE_KINDS = ("role_assigned", "escalated")


@dataclass(frozen=True)
class Moment:
    """An instant as the document prints it: UTC, and the organisation's local time with its zone."""

    utc: str
    local: str


@dataclass(frozen=True)
class Row:
    at: Moment
    who: str
    what: str
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlanStepView:
    number: int
    title: str
    owner_role: str
    done: bool
    done_at: Moment | None


@dataclass(frozen=True)
class FollowUpView:
    number: int
    title: str
    owner: str
    due: Moment
    link: str
    tracker_url: str
    state: str  # open, overdue, done


@dataclass(frozen=True)
class NoteView:
    """A note as the document prints it: when it was said and by whom (a captured message keeps its author)."""

    said: Moment
    author: str
    text: str
    link: str
    added_by: str
    pinned: bool
    number: int = 0  # as ``pin <n>`` counts them: in the order the notes were added, from 1


@dataclass(frozen=True)
class IncidentDocument:
    incident: Incident
    generated: Moment
    zone: str
    type_name: str
    duration: str
    sections: list[tuple[str, str]]  # (heading, text) of the postmortem's written sections
    factors: list[str]
    prompts: tuple[str, ...]
    postmortem_owner: str
    postmortem_due: Moment | None
    postmortem_state: str
    severity_history: list[Row]
    latest_risk: dict[str, str]  # the latest assessment's outcome and decision (empty: none revealed)
    risk: list[Row]
    roles: list[Row]
    timeline: list[Row]
    plan: list[PlanStepView]
    exit_criteria: list[Row]
    overrides: list[Row]
    follow_ups: list[FollowUpView]
    notes: list[NoteView] = field(default_factory=list)  # typed or captured; the key events stand out

    @property
    def key_events(self) -> list[NoteView]:
        return [n for n in self.notes if n.pinned]


def _moment(at: datetime, zone: ZoneInfo) -> Moment:
    local = at.astimezone(zone)
    return Moment(utc=f"{at.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M:%S} UTC",
                  local=f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({zone.key})")


def row_in(event: TimelineEvent, zone: ZoneInfo, details: dict[str, str] | None = None, language: str = "en") -> Row:
    shown = dict(event.after) if details is None else details
    return Row(_moment(event.at, zone), event.actor.name or event.actor.id, event_text(event, language),
               {detail_key(k, language): v for k, v in shown.items()})


def _duration(incident: Incident) -> str:
    if incident.resolved_at is None:
        return "not resolved"
    minutes = int((incident.resolved_at - incident.declared_at).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _latest_risk(incident: Incident) -> dict[str, str]:
    """The latest risk assessment as the document shows it (the assessment feature keeps it on the incident)."""
    assessment = getattr(incident, "assessment", None)
    outcome = getattr(assessment, "outcome", None)
    if assessment is None or outcome is None:
        return {}
    shown = {"round": str(assessment.round), "likelihood": outcome.likelihood, "impact": outcome.impact,
             "risk level": outcome.level, "proposed severity": outcome.severity,
             "proposed priority": outcome.priority, "decision": assessment.decision,
             "decided severity": assessment.decided_severity, "decided priority": assessment.decided_priority,
             "reason": assessment.reason}
    return {k: str(v) for k, v in shown.items() if v}


def _web(link: str) -> str:
    """Only http(s) links become links: a tracker's answer is not trusted to be one."""
    return link if link.startswith(("https://", "http://")) else ""


def _notes(timeline: Sequence[TimelineEvent], zone: ZoneInfo) -> list[NoteView]:
    """Notes in the order things were said (a message captured late sits where it was said)."""
    found = [NoteView(_moment(parse_instant(n.said_at, "said_at"), zone), n.author, n.text, _web(n.link), n.added_by,
                      n.pinned, number) for number, n in enumerate(notes_of(timeline), start=1)]
    return sorted(found, key=lambda n: n.said.utc)


def _timeline_row(event: TimelineEvent, zone: ZoneInfo, language: str, pinned: set[int]) -> Row:
    """A note that is a key event now (pinned when added, or by ``pin <n>`` since) is marked as one."""
    return row_in(event, zone, {"key_event": "yes"} if event.sequence in pinned else {}, language)


def document_zone(incident: Incident, policy: OrganisationPolicy) -> ZoneInfo:
    """The zone of the incident's severity coverage (business hours name one), else UTC."""
    try:
        return ZoneInfo(policy.severity(incident.severity).coverage.timezone)
    except (InvalidValue, ZoneInfoNotFoundError):  # an unknown severity in an old record: UTC, not no document
        return ZoneInfo("UTC")


def build_document(incident: Incident, timeline: Sequence[TimelineEvent], policy: OrganisationPolicy,
                   now: datetime, language: str = "en") -> IncidentDocument:
    """The document's content; devopsbot's own words in ``language`` ("fr", else English)."""
    zone = document_zone(incident, policy)

    def _row(event: TimelineEvent, zone: ZoneInfo, details: dict[str, str] | None = None) -> Row:
        return row_in(event, zone, details, language)

    kind = policy.incident_type(incident.type)
    pm = incident.postmortem
    first = timeline[0] if timeline else None
    severity_history = []
    if first is not None:
        start = {"severity": first.after.get("severity", incident.severity)}
        if incident.priority:
            start["priority"] = incident.priority
        severity_history.append(_row(first, zone, start))
    severity_history += [_row(e, zone) for e in timeline[1:]
                         if "severity" in e.after or "priority" in e.after or "priority" in e.kind]
    roles = []
    if first is not None:
        initial = {k.removeprefix("role:"): v for k, v in first.after.items() if k.startswith("role:")}
        roles.append(_row(first, zone, initial))
    roles += [_row(e, zone, {**{f"before {k}": v for k, v in e.before.items()}, **e.after})
              for e in timeline if e.kind in ROLE_KINDS]
    ticked = {e.after.get("step", ""): e for e in timeline if e.kind == "plan_step_done"}
    plan = [PlanStepView(n, step.title, step.owner_role, n - 1 in incident.plan_done,
                         _moment(ticked[str(n)].at, zone) if str(n) in ticked else None)
            for n, step in enumerate(kind.response_plan.steps, start=1)]
    texts = {c.key: c.text for c in kind.exit_criteria}
    key_events = {n.sequence for n in notes_of(timeline) if n.pinned}

    def criteria(keys: str) -> str:
        return "; ".join(texts.get(k.strip(), k.strip()) for k in keys.split(",") if k.strip())

    exit_rows = [_row(e, zone, {"met": criteria(e.after.get("criteria_met", "")),
                                "unmet": criteria(e.after.get("criteria_unmet", ""))})
                 for e in timeline if e.kind == "resolved"]
    overrides = [_row(e, zone, {"reason": e.after["override_reason"],
                                **({"unmet": criteria(e.after.get("criteria_unmet", ""))}
                                   if e.kind == "resolved" else {"open": e.after.get("gaps", "")})})
                 for e in timeline if e.after.get("override_reason")]
    follow_ups = [FollowUpView(
        f.number, f.title, f.owner.name, _moment(f.due_at, zone), _web(f.link), _web(f.tracker_url),
        state_word("done" if f.is_done else "overdue" if f.is_overdue(now) else "open", language))
        for f in incident.follow_ups]
    state = "not required" if pm is None else "completed" if pm.is_complete else "in progress"
    return IncidentDocument(
        incident=incident, generated=_moment(now, zone), zone=zone.key, type_name=kind.name,
        duration=state_word(_duration(incident), language),
        sections=[(section_heading(heading, language), pm.section(key) if pm else "")
                  for key, heading in SECTIONS.items()],
        factors=list(pm.contributing_factors) if pm else [],
        prompts=PROMPTS_FR if language == "fr" else BLAMELESS_PROMPTS,
        postmortem_owner=pm.owner.name if pm else "", postmortem_due=_moment(pm.due_at, zone) if pm else None,
        postmortem_state=state_word(state, language), severity_history=severity_history,
        latest_risk={detail_key(k, language): v for k, v in _latest_risk(incident).items()},
        risk=[_row(e, zone) for e in timeline if any(w in e.kind for w in RISK_WORDS)],
        roles=roles, timeline=[_timeline_row(e, zone, language, key_events) for e in timeline], plan=plan,
        exit_criteria=exit_rows,        overrides=overrides, follow_ups=follow_ups, notes=_notes(timeline, zone))
