"""The incident aggregate: its fields, its timeline, and every change it allows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from incident import access, postmortem_changes
from incident.assessment import Assessment
from incident.errors import ExitCriteriaUnmet, IllegalTransition, InvalidValue, NotPermitted, ReasonRequired
from incident.lifecycle import TRANSITIONS, Guard, Status
from incident.people import Person
from incident.policy import OrganisationPolicy
from incident.postmortem import FollowUp, Postmortem, closing_gaps
from incident.public_face import PublicFace
from incident.tasks import Task
from incident.timeline import MAX_TEXT, MAX_TITLE, TimelineEvent, choices, clean_text, require_aware

__all__ = ["MAX_TEXT", "Incident", "Person", "TimelineEvent"]

ESCALATION_ACTOR = Person(id="devopsbot", name="devopsbot (escalation)")


@dataclass
class Incident:
    """An incident and the changes not yet stored (``pending``); ``event_count`` counts stored ones."""

    id: str
    title: str
    summary: str
    type: str
    severity: str
    status: Status
    declared_by: Person
    declared_at: datetime
    priority: str = ""
    roles: dict[str, Person] = field(default_factory=dict)
    services: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    private: bool = False
    invitees: tuple[Person, ...] = ()
    broadcast: str = ""  # where the incident was announced, so the resolution goes there too
    team: str = ""  # the Teams team it was declared in; empty: the organisation's home team
    language: str = "en"  # the declarer's language, for cards everyone in the incident sees
    acknowledged_at: datetime | None = None
    acknowledged_by: Person | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    last_update_at: datetime | None = None
    last_update: str = ""
    resolution: str = ""
    plan_done: tuple[int, ...] = ()  # indices of the response-plan steps ticked off
    playbooks: tuple[tuple[str, int], ...] = ()  # (service, version): the approved playbooks at declaration
    reminders_snoozed_until: datetime | None = None
    postmortem: Postmortem | None = None  # opened on resolve where policy requires one
    follow_ups: tuple[FollowUp, ...] = ()  # the postmortem's priority-1 bugs, numbered from 1
    assessment: Assessment | None = None  # the latest risk assessment (incident/assessment.py)
    bridge: str = ""  # the Teams meeting's join link, once opened (incident/bridge.py)
    tasks: tuple[Task, ...] = ()  # what people do during the incident (incident/tasks.py), numbered from 1
    public: PublicFace = field(default_factory=PublicFace)  # the status page (incident/publishing.py)
    event_count: int = 0
    pending: list[TimelineEvent] = field(default_factory=list)
    just_stored: list[TimelineEvent] = field(default_factory=list, repr=False, compare=False)  # what reactions get
    # Opaque concurrency token (an ETag) a repository hands out with the incident and checks on save.
    storage_tag: str = ""

    # -- creation -------------------------------------------------------------------------------

    @classmethod
    def declare(cls, *, incident_id: str, title: str, summary: str, incident_type: str, severity: str,
                declared_by: Person, at: datetime, policy: OrganisationPolicy,
                roles: Mapping[str, Person] | None = None, services: Iterable[str] = (),
                environments: Iterable[str] = (), regions: Iterable[str] = (), private: bool = False,
                priority: str = "", invitees: Iterable[Person] = (), broadcast: str = "", language: str = "en",
                team: str = "") -> Incident:
        """A new incident in ``declared``, validated against the policy, with its first event."""
        require_aware(at)
        assigned = dict(roles or {})
        for role in assigned:
            policy.role(role)
        incident = cls(
            id=incident_id,
            title=clean_text("title", title, limit=MAX_TITLE, required=True),
            summary=clean_text("summary", summary, limit=MAX_TEXT, required=False),
            type=policy.incident_type(incident_type).key,
            severity=policy.severity(severity).name,
            status=Status.DECLARED,
            declared_by=declared_by,
            declared_at=at,
            priority=priority.strip(),
            roles=assigned,
            services=choices("services", services, policy.services),
            environments=choices("environments", environments, policy.environments),
            regions=choices("regions", regions, policy.regions),
            private=private,
            invitees=tuple(dict.fromkeys(invitees)),
            broadcast=clean_text("broadcast", broadcast, limit=200, required=False),
            language=language,
            team=team,
        )
        incident.record(declared_by, at, "declared", f"{incident.severity} {incident.title}",
                         after=incident.headline())
        return incident

    def assign_id(self, incident_id: str) -> None:
        """Ids are allocated after validation so a refused declaration uses up no number."""
        if self.id:
            raise InvalidValue("id", f"{self.id} already has an id")
        self.id = incident_id

    # -- reading --------------------------------------------------------------------------------

    def headline(self) -> dict[str, str]:
        """The fields a person scans first, as text (also what the declared event records)."""
        return {
            "status": self.status.value,
            "severity": self.severity,
            "type": self.type,
            "title": self.title,
            **{f"role:{k}": v.name for k, v in self.roles.items()},
        }

    def holder(self, role: str) -> Person | None:
        return self.roles.get(role)

    def next_status_reminder(self, policy: OrganisationPolicy) -> datetime | None:
        """When the commander is next due a status update: the severity's cadence after the last update
        (or the declaration), or the end of a snooze if later. None once the incident is no longer active."""
        if not self.status.is_active:
            return None
        due = (self.last_update_at or self.declared_at) + policy.effort(self.severity, self.priority).update_cadence
        snoozed = self.reminders_snoozed_until
        return max(due, snoozed) if snoozed else due

    def unfilled_roles(self, policy: OrganisationPolicy) -> tuple[str, ...]:
        """The required roles of the severity (and priority) nobody holds yet."""
        return tuple(r for r in policy.effort(self.severity, self.priority).required_roles if r not in self.roles)

    # -- changes --------------------------------------------------------------------------------

    def transition(self, target: Status, *, actor: Person, at: datetime, policy: OrganisationPolicy,
                   reason: str = "") -> TimelineEvent:
        """Move along the lifecycle table; an illegal move names both states. Resolving and reopening
        have rules of their own: use ``resolve`` and ``reopen``."""
        return self._move(target, actor=actor, at=at, policy=policy, reason=reason)

    def _move(self, target: Status, *, actor: Person, at: datetime, policy: OrganisationPolicy,
              reason: str = "", details: Mapping[str, str] | None = None, via: str = "",
              postmortem_checked: bool = False) -> TimelineEvent:
        require_aware(at)
        move = TRANSITIONS.get((self.status, target))
        if move is None:
            raise IllegalTransition(self.id, self.status.value, target.value)
        if move.via != via:
            raise IllegalTransition(self.id, self.status.value, target.value, f"use '{move.via}' for this")
        reason = clean_text("reason", reason, limit=MAX_TEXT, required=False)
        if move.reason_required and not reason:
            raise ReasonRequired(f"moving {self.id} from '{self.status}' to '{target}' needs a reason")
        if move.guard is not Guard.ALWAYS:
            required = policy.postmortem_required(self.severity, self.type, self.priority)
            if move.guard is Guard.POSTMORTEM_NOT_REQUIRED and required:
                raise IllegalTransition(self.id, self.status.value, target.value,
                                        f"a postmortem is required for {self.severity} {self.type} incidents")
            if move.guard is Guard.POSTMORTEM_REQUIRED and not required:
                raise IllegalTransition(self.id, self.status.value, target.value,
                                        f"no postmortem is required for {self.severity} {self.type} incidents")
        if (target is Status.CLOSED and not postmortem_checked
                and policy.postmortem_required(self.severity, self.type, self.priority)):
            gaps = closing_gaps(self.postmortem, self.follow_ups)
            if gaps:
                raise IllegalTransition(self.id, self.status.value, target.value, "; ".join(gaps)
                                        + " (or an incident admin closes it with an override reason)")
        before = self.status
        self.status = target
        if target is Status.RESOLVED:
            self.resolved_at = at
        elif target is Status.CLOSED:
            self.closed_at = at
        elif before is Status.RESOLVED and target.is_active:  # reopened
            self.resolved_at = None
        text = f"{before} → {target}" + (f": {reason}" if reason else "")
        after = {"status": target.value, **({"reason": reason} if reason else {}), **(details or {})}
        event = self.record(actor, at, move.event, text, before={"status": before.value}, after=after)
        if target is Status.POSTMORTEM and self.postmortem is None:
            postmortem_changes.open_postmortem(self, at=at, policy=policy, fallback_owner=actor)
        return event

    def resolve(self, *, actor: Person, at: datetime, policy: OrganisationPolicy, resolution: str,
                criteria_met: Iterable[str] = (), override_reason: str = "") -> TimelineEvent:
        """Resolve once every exit criterion of the type is met, or with a written override."""
        text = clean_text("resolution", resolution, limit=MAX_TEXT, required=True)
        criteria = policy.incident_type(self.type).exit_criteria
        met = set(criteria_met)
        unknown = met - {c.key for c in criteria}
        if unknown:
            raise InvalidValue("exit criteria", f"unknown {', '.join(sorted(unknown))}")
        unmet = [c for c in criteria if c.key not in met]
        override = clean_text("override reason", override_reason, limit=MAX_TEXT, required=False)
        if unmet and not override:
            raise ExitCriteriaUnmet(unmet)
        details = {"criteria_met": ", ".join(c.key for c in criteria if c.key in met)}
        if unmet:
            details |= {"criteria_unmet": ", ".join(c.key for c in unmet), "override_reason": override}
        event = self._move(Status.RESOLVED, actor=actor, at=at, policy=policy, reason=text, details=details,
                           via="resolve")
        self.resolution = text
        if self.postmortem is None and policy.postmortem_required(self.severity, self.type, self.priority):
            postmortem_changes.open_postmortem(self, at=at, policy=policy, fallback_owner=actor)
        return event

    def complete_plan_step(self, *, index: int, actor: Person, at: datetime,
                           policy: OrganisationPolicy) -> TimelineEvent | None:
        """Tick a response-plan step; ticking a ticked step changes nothing."""
        require_aware(at)
        steps = policy.incident_type(self.type).response_plan.steps
        if not 0 <= index < len(steps):
            raise InvalidValue("plan step", f"{index + 1} is not a step of the {self.type} plan")
        if self.status is Status.CLOSED:
            raise IllegalTransition(self.id, self.status.value, "plan step done")
        if index in self.plan_done:
            return None
        self.plan_done = tuple(sorted({*self.plan_done, index}))
        return self.record(actor, at, "plan_step_done", steps[index].title, after={"step": str(index + 1)})

    def may_see(self, person: Person, admins: Iterable[str]) -> bool:
        """A security incident's details are for its people and incident admins (incident/access.py)."""
        return access.permits(self, access.Action.SEE, person, admins)

    def may_manage(self, person: Person, admins: Iterable[str]) -> bool:
        """Severity, resolve and reopen belong to the commander, the deputy and incident admins."""
        return access.permits(self, access.Action.RESOLVE, person, admins)

    def reopen(self, *, actor: Person, at: datetime, policy: OrganisationPolicy,
               reason: str) -> TimelineEvent:
        if self.status is not Status.RESOLVED:
            raise IllegalTransition(self.id, self.status.value, Status.INVESTIGATING.value)
        event = self._move(Status.INVESTIGATING, actor=actor, at=at, policy=policy, reason=reason, via="reopen")
        self.resolution = ""
        return event

    def acknowledge(self, *, actor: Person, at: datetime) -> TimelineEvent | None:
        """The first acknowledgement counts; a repeated one changes nothing and records nothing."""
        require_aware(at)
        if self.acknowledged_at is not None:
            return None
        if not self.status.is_active:
            raise IllegalTransition(self.id, self.status.value, "acknowledged")
        self.acknowledged_at, self.acknowledged_by = at, actor
        return self.record(actor, at, "acknowledged", f"acknowledged by {actor}",
                            after={"acknowledged_by": actor.name})

    def snooze_reminders(self, *, actor: Person, at: datetime, minutes: int) -> TimelineEvent:
        """No status reminder for ``minutes`` (30 or 60 from the reminder card; at most a day)."""
        require_aware(at)
        if not self.status.is_active:
            raise IllegalTransition(self.id, self.status.value, "snoozed")
        if not 1 <= minutes <= 24 * 60:
            raise InvalidValue("snooze", f"{minutes} minutes is not between 1 and 1440")
        self.reminders_snoozed_until = at + timedelta(minutes=minutes)
        return self.record(actor, at, "reminders_snoozed", f"reminders snoozed for {minutes} min",
                            after={"until": self.reminders_snoozed_until.isoformat()})

    def escalate(self, *, role: str, to: Person, at: datetime, policy: OrganisationPolicy,
                 reason: str) -> TimelineEvent:
        """Give ``role`` to the next person in its chain because nobody acted in time."""
        require_aware(at)
        definition = policy.role(role)
        if not self.status.is_active:
            raise IllegalTransition(self.id, self.status.value, "escalated")
        previous = self.roles.get(definition.key)
        self.roles[definition.key] = to
        return self.record(ESCALATION_ACTOR, at, "escalated", f"{definition.name} → {to}: {reason}",
                            before={definition.key: previous.name} if previous else {},
                            after={definition.key: to.name, "reason": reason})

    def post_update(self, *, actor: Person, at: datetime, text: str) -> TimelineEvent:
        require_aware(at)
        if self.status is Status.CLOSED:
            raise IllegalTransition(self.id, self.status.value, "updated")
        clean = clean_text("update", text, limit=MAX_TEXT, required=True)
        before = {"update": self.last_update} if self.last_update else {}
        self.last_update, self.last_update_at = clean, at
        return self.record(actor, at, "update_posted", clean, before=before, after={"update": clean})

    def assign_role(self, *, role: str, person: Person, actor: Person, at: datetime,
                    policy: OrganisationPolicy) -> TimelineEvent | None:
        require_aware(at)
        definition = policy.role(role)
        if self.status is Status.CLOSED:
            raise IllegalTransition(self.id, self.status.value, "reassigned")
        previous = self.roles.get(definition.key)
        if previous == person:
            return None
        self.roles[definition.key] = person
        return self.record(actor, at, "role_assigned", f"{definition.name}: {person}",
                            before={definition.key: previous.name} if previous else {},
                            after={definition.key: person.name})

    def change_severity(self, *, severity: str, actor: Person, at: datetime,
                        policy: OrganisationPolicy, reason: str = "") -> TimelineEvent | None:
        require_aware(at)
        new = policy.severity(severity).name
        if not self.status.is_active:
            raise IllegalTransition(self.id, self.status.value, f"severity {new}")
        if new == self.severity:
            return None
        old, self.severity = self.severity, new
        clean = clean_text("reason", reason, limit=MAX_TEXT, required=False)
        return self.record(actor, at, "severity_changed", f"{old} → {new}" + (f": {clean}" if clean else ""),
                            before={"severity": old}, after={"severity": new})

    # -- postmortem and follow-ups (incident/postmortem_changes.py) --------------------------------

    def assign_postmortem_owner(self, *, owner: Person, actor: Person, at: datetime,
                                policy: OrganisationPolicy) -> TimelineEvent | None:
        return postmortem_changes.assign_postmortem_owner(self, owner=owner, actor=actor, at=at, policy=policy)

    def edit_postmortem(self, *, actor: Person, at: datetime, policy: OrganisationPolicy,
                        sections: Mapping[str, str], factors: Iterable[str] | None = None) -> TimelineEvent | None:
        return postmortem_changes.edit_postmortem(self, actor=actor, at=at, policy=policy, sections=sections,
                                                  factors=factors)

    def complete_postmortem(self, *, actor: Person, at: datetime, policy: OrganisationPolicy) -> TimelineEvent:
        return postmortem_changes.complete_postmortem(self, actor=actor, at=at, policy=policy)

    def reopen_postmortem(self, *, actor: Person, at: datetime, policy: OrganisationPolicy,
                          reason: str) -> TimelineEvent:
        return postmortem_changes.reopen_postmortem(self, actor=actor, at=at, policy=policy, reason=reason)

    def add_follow_up(self, *, title: str, owner: Person, actor: Person, at: datetime,
                      policy: OrganisationPolicy, due_at: datetime | None = None, link: str = "",
                      tracked: bool = False) -> TimelineEvent:
        return postmortem_changes.add_follow_up(self, title=title, owner=owner, actor=actor, at=at, policy=policy,
                                                due_at=due_at, link=link, tracked=tracked)

    def follow_up(self, number: int) -> FollowUp:
        return postmortem_changes.find_follow_up(self, number)

    def follow_up_filed(self, *, number: int, url: str, at: datetime) -> TimelineEvent | None:
        return postmortem_changes.follow_up_filed(self, number=number, url=url, at=at)

    def complete_follow_up(self, *, number: int, actor: Person, at: datetime) -> TimelineEvent | None:
        return postmortem_changes.complete_follow_up(self, number=number, actor=actor, at=at)

    def close(self, *, actor: Person, at: datetime, policy: OrganisationPolicy, override_reason: str = "",
              may_override: bool = False) -> TimelineEvent:
        """Close once the postmortem (where required) is completed and its follow-ups filed; otherwise only
        someone allowed to override (an incident admin) may, with a written reason kept in the timeline."""
        require_aware(at)
        reason = clean_text("override reason", override_reason, limit=MAX_TEXT, required=False)
        required = policy.postmortem_required(self.severity, self.type, self.priority)
        gaps = closing_gaps(self.postmortem, self.follow_ups) if required else ()
        if gaps and not reason:
            raise IllegalTransition(self.id, self.status.value, Status.CLOSED.value, "; ".join(gaps)
                                    + " (or an incident admin closes it with an override reason)")
        if gaps and not may_override:
            raise NotPermitted(f"only an incident admin may close {self.id} with an override")
        if required and self.status is Status.RESOLVED:
            self._move(Status.POSTMORTEM, actor=actor, at=at, policy=policy)
        details = {"override_reason": reason, "gaps": "; ".join(gaps)} if gaps else {}
        return self._move(Status.CLOSED, actor=actor, at=at, policy=policy, details=details,
                          postmortem_checked=True)

    def record(self, actor: Person, at: datetime, kind: str, summary: str, *,
               before: Mapping[str, str] | None = None, after: Mapping[str, str] | None = None
               ) -> TimelineEvent:
        """Append a change to the pending timeline: how every part of the aggregate records (``Recorder``)."""
        event = TimelineEvent(
            sequence=self.event_count + len(self.pending) + 1, at=at, actor=actor, kind=kind,
            summary=summary, before=dict(before or {}), after=dict(after or {}),
        )
        self.pending.append(event)
        return event

    def mark_stored(self) -> list[TimelineEvent]:
        """Called by a repository once the pending events are stored; returns them."""
        stored, self.pending = self.pending, []
        self.event_count += len(stored)
        self.just_stored = stored
        return stored

    def copy(self) -> Incident:
        """An independent copy (fakes hand these out so callers cannot alias stored state)."""
        return replace(self, roles=dict(self.roles), pending=list(self.pending), just_stored=[])
