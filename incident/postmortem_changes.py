"""Every change to an incident's postmortem and follow-ups: the postmortem part of the incident aggregate.

Like the risk assessment (``incident/assessment.py``), these are functions of the incident that validate,
change the part and record the change through the incident's public timeline (``PostmortemSubject``);
``Incident`` exposes each as a method. What the postmortem holds is ``incident/postmortem.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from incident.errors import IllegalTransition, InvalidValue
from incident.lifecycle import Status
from incident.people import Person
from incident.postmortem import MAX_FACTORS, MAX_FOLLOW_UPS, SECTIONS, FollowUp, Postmortem, TrackerState
from incident.timeline import MAX_TEXT, MAX_TITLE, Recorder, TimelineEvent, clean_text, require_aware, web_link

if TYPE_CHECKING:
    from incident.policy import OrganisationPolicy

TRACKER_ACTOR = Person(id="devopsbot", name="devopsbot (tracker)")


class PostmortemSubject(Recorder, Protocol):
    """The incident as its postmortem sees it."""

    status: Status
    severity: str
    roles: dict[str, Person]
    postmortem: Postmortem | None
    follow_ups: tuple[FollowUp, ...]

    def transition(self, target: Status, *, actor: Person, at: datetime, policy: OrganisationPolicy,
                   reason: str = "") -> TimelineEvent: ...


def open_postmortem(incident: PostmortemSubject, *, at: datetime, policy: OrganisationPolicy,
                    fallback_owner: Person) -> None:
    """Opened on resolve where policy requires one: the commander owns it, due after the severity's days."""
    owner = incident.roles.get("commander") or fallback_owner
    due = at + timedelta(days=policy.severity(incident.severity).postmortem_due_days)
    incident.postmortem = Postmortem(owner=owner, opened_at=at, due_at=due)
    incident.record(fallback_owner, at, "postmortem_opened",
                    f"postmortem opened: {owner} owns it, due {due:%Y-%m-%d}",
                    after={"owner": owner.name, "due": due.isoformat()})


def _open_for_writing(incident: PostmortemSubject, actor: Person, at: datetime,
                      policy: OrganisationPolicy) -> Postmortem:
    """The postmortem, once the incident is resolved; writing it moves the incident to ``postmortem``."""
    require_aware(at)
    if incident.postmortem is None or incident.status.is_active:
        raise IllegalTransition(incident.id, incident.status.value, "postmortem",
                                "a postmortem is written once the incident is resolved")
    if incident.status is Status.CLOSED:
        raise IllegalTransition(incident.id, incident.status.value, "postmortem", "the incident is closed")
    if incident.status is Status.RESOLVED:
        incident.transition(Status.POSTMORTEM, actor=actor, at=at, policy=policy)
    return incident.postmortem


def assign_postmortem_owner(incident: PostmortemSubject, *, owner: Person, actor: Person, at: datetime,
                            policy: OrganisationPolicy) -> TimelineEvent | None:
    postmortem = _open_for_writing(incident, actor, at, policy)
    if postmortem.owner == owner:
        return None
    incident.postmortem = replace(postmortem, owner=owner)
    return incident.record(actor, at, "postmortem_owner_changed", f"postmortem owner: {owner}",
                           before={"owner": postmortem.owner.name}, after={"owner": owner.name})


def edit_postmortem(incident: PostmortemSubject, *, actor: Person, at: datetime, policy: OrganisationPolicy,
                    sections: Mapping[str, str], factors: Iterable[str] | None = None) -> TimelineEvent | None:
    """Replace the given sections (and the contributing factors, when given); unchanged text records nothing."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise InvalidValue("postmortem", f"unknown sections {', '.join(sorted(unknown))} "
                           f"(known: {', '.join(SECTIONS)})")
    postmortem = _open_for_writing(incident, actor, at, policy)
    if postmortem.is_complete:
        raise IllegalTransition(incident.id, incident.status.value, "postmortem edited",
                                "the postmortem is completed; reopen it first")
    changes: dict[str, object] = {
        key: clean_text(SECTIONS[key].lower(), text, limit=MAX_TEXT, required=False)
        for key, text in sections.items()}
    if factors is not None:
        cleaned = tuple(dict.fromkeys(clean_text("contributing factor", f, limit=1000, required=False)
                                      for f in factors))
        cleaned = tuple(f for f in cleaned if f)
        if len(cleaned) > MAX_FACTORS:
            raise InvalidValue("contributing factors", f"{len(cleaned)} given; at most {MAX_FACTORS}")
        changes["contributing_factors"] = cleaned
    changed = sorted(k for k, v in changes.items() if getattr(postmortem, k) != v)
    if not changed:
        return None
    incident.postmortem = replace(postmortem, **changes)  # type: ignore[arg-type]
    names = ", ".join(SECTIONS.get(k, "contributing factors").lower() for k in changed)
    return incident.record(actor, at, "postmortem_edited", f"postmortem: {names} written",
                           after={"sections": ",".join(changed)})


def complete_postmortem(incident: PostmortemSubject, *, actor: Person, at: datetime,
                        policy: OrganisationPolicy) -> TimelineEvent:
    postmortem = _open_for_writing(incident, actor, at, policy)
    if postmortem.is_complete:
        raise IllegalTransition(incident.id, incident.status.value, "postmortem completed", "it already is")
    gaps = list(postmortem.missing())
    if not incident.follow_ups:
        gaps.append("at least one follow-up (the priority-1 bug)")
    if gaps:
        raise InvalidValue("postmortem", "cannot be completed without " + "; ".join(gaps))
    incident.postmortem = replace(postmortem, completed_at=at, completed_by=actor)
    return incident.record(actor, at, "postmortem_completed", f"postmortem completed by {actor}")


def reopen_postmortem(incident: PostmortemSubject, *, actor: Person, at: datetime, policy: OrganisationPolicy,
                      reason: str) -> TimelineEvent:
    postmortem = _open_for_writing(incident, actor, at, policy)
    clean = clean_text("reason", reason, limit=MAX_TEXT, required=True)
    if not postmortem.is_complete:
        raise IllegalTransition(incident.id, incident.status.value, "postmortem reopened", "it is not completed")
    incident.postmortem = replace(postmortem, completed_at=None, completed_by=None)
    return incident.record(actor, at, "postmortem_reopened", f"postmortem reopened: {clean}",
                           after={"reason": clean})


def _resolved(incident: PostmortemSubject, at: datetime) -> None:
    """Follow-ups belong to any resolved incident, with or without a postmortem, until it is closed."""
    require_aware(at)
    if incident.status.is_active or incident.status is Status.CLOSED:
        raise IllegalTransition(incident.id, incident.status.value, "follow-up added",
                                "follow-ups are added once the incident is resolved, before it is closed")


def add_follow_up(incident: PostmortemSubject, *, title: str, owner: Person, actor: Person, at: datetime,
                  policy: OrganisationPolicy, due_at: datetime | None = None, link: str = "",
                  tracked: bool = False, from_task: int = 0) -> TimelineEvent:
    """A priority-1 bug: its due date defaults to the severity's; ``tracked`` files it in the tracker. Without
    a postmortem, or carried over from task ``from_task`` at resolve, it leaves the incident's status alone."""
    if incident.postmortem is None or from_task:
        _resolved(incident, at)
    else:
        _open_for_writing(incident, actor, at, policy)
    if len(incident.follow_ups) >= MAX_FOLLOW_UPS:
        raise InvalidValue("follow-ups", f"an incident has at most {MAX_FOLLOW_UPS}")
    clean_link = web_link("link", link, required=False)
    due = due_at or at + timedelta(days=policy.severity(incident.severity).follow_up_due_days)
    require_aware(due)
    if due <= at:
        raise InvalidValue("due date", "must be in the future")
    follow_up = FollowUp(
        number=len(incident.follow_ups) + 1, title=clean_text("title", title, limit=MAX_TITLE, required=True),
        owner=owner, due_at=due, created_at=at, link=clean_link,
        tracker_state=TrackerState.PENDING if tracked else TrackerState.NONE)
    incident.follow_ups = (*incident.follow_ups, follow_up)
    origin = f" (task #{from_task})" if from_task else ""
    return incident.record(actor, at, "follow_up_added", f"follow-up #{follow_up.number}: {follow_up.title} "
                           f"({owner}, due {due:%Y-%m-%d}){origin}",
                           after={"number": str(follow_up.number), "owner": owner.name, "due": due.isoformat(),
                                  **({"task": str(from_task)} if from_task else {})})


def find_follow_up(incident: PostmortemSubject, number: int) -> FollowUp:
    for follow_up in incident.follow_ups:
        if follow_up.number == number:
            return follow_up
    raise InvalidValue("follow-up", f"{incident.id} has no follow-up #{number}")


def _replace_follow_up(incident: PostmortemSubject, updated: FollowUp) -> None:
    incident.follow_ups = tuple(updated if f.number == updated.number else f for f in incident.follow_ups)


def follow_up_filed(incident: PostmortemSubject, *, number: int, url: str, at: datetime) -> TimelineEvent | None:
    """The tracker accepted the follow-up: its link is kept (a repeated report changes nothing)."""
    require_aware(at)
    url = web_link("tracker link", url, required=True)
    current = find_follow_up(incident, number)
    if current.tracker_state == TrackerState.FILED:
        return None
    _replace_follow_up(incident, replace(current, tracker_url=url, tracker_state=TrackerState.FILED))
    return incident.record(TRACKER_ACTOR, at, "follow_up_filed", f"follow-up #{number} filed: {url}",
                           after={"number": str(number), "url": url})


def complete_follow_up(incident: PostmortemSubject, *, number: int, actor: Person,
                       at: datetime) -> TimelineEvent | None:
    """Follow-ups outlive the incident: they may be done after it is closed."""
    require_aware(at)
    current = find_follow_up(incident, number)
    if current.is_done:
        return None
    _replace_follow_up(incident, replace(current, done_at=at))
    return incident.record(actor, at, "follow_up_done", f"follow-up #{number} done: {current.title}",
                           after={"number": str(number)})
