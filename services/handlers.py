"""One handler per command: load, let the domain decide, store the change as one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from incident import assessment, commands, notes, progress, publishing
from incident.errors import ConcurrencyConflict, DeclarationInProgress, NotFound, StorageUnavailable
from incident.ids import format_incident_id
from incident.invitations import ChangePriority, InvitePeople, change_priority, invite_people
from incident.model import Incident, TimelineEvent
from incident.note_commands import AddNote, PinNote
from incident.policy import OrganisationPolicy
from services.bus import Dependencies, Handler
from services.conflict_retry import Write, until_stored
from services.maintenance import MAINTENANCE_HANDLERS
from services.once import once
from services.permissions import authorise
from services.playbooks import PLAYBOOK_HANDLERS, approved_for
from services.roster_handlers import ROSTER_HANDLERS
from services.roster_service import roles_from_roster

T = TypeVar("T")

# A declaration interrupted longer than this (a crash) may be taken over by a retry.
DECLARATION_LEASE = timedelta(minutes=2)


async def change_incident(deps: Dependencies, incident_id: str,
                          change: Callable[[Incident], T]) -> tuple[Incident, T]:
    """Apply ``change`` to the stored incident; when someone else saved first, reload and re-apply."""

    async def attempt() -> tuple[tuple[Incident, T], Write | None]:
        incident = await deps.incidents.get(incident_id)
        outcome = change(incident)
        if not incident.pending:
            return (incident, outcome), None
        await deps.sweeps.ensure(deps.due_work, incident_id, deps.clock.now())
        return (incident, outcome), lambda: deps.incidents.save(incident)

    return await until_stored(attempt, f"{incident_id} kept changing under us; try again")


async def declare_incident(cmd: commands.DeclareIncident, deps: Dependencies) -> Incident:
    """Validate, claim the idempotency key, allocate the id and record it, then store.

    A refused declaration spends no number and leaves no claim. The id is recorded against the key
    before the incident is stored, so a retry after a crash stores the same incident under the same id,
    and of two racing attempts the second finds the first's incident instead of making another.
    """
    now = deps.clock.now()
    # Required roles the declarer left empty go to whoever the roster says holds them right now.
    roles = {**await roles_from_roster(deps.roster, deps.policy, cmd.severity, cmd.services, cmd.roles, now),
             **cmd.roles}
    incident = Incident.declare(
        incident_id="", title=cmd.title, summary=cmd.summary, incident_type=cmd.incident_type,
        severity=cmd.severity, declared_by=cmd.actor, at=now, policy=deps.policy, roles=roles,
        services=cmd.services, environments=cmd.environments, regions=cmd.regions,
        private=cmd.private, priority=cmd.priority, invitees=cmd.invitees, broadcast=cmd.broadcast,
        language=cmd.language, team=cmd.team,
    )
    # Only the approved version of each service's playbook at this moment is attached to the incident.
    incident.playbooks = tuple((s, v.version) for s, v in (await approved_for(deps, incident.services)).items())
    # Storage unavailable before the id is recorded: nothing is stored under the key yet, so it is released
    # and the person's retry declares now, not after the lease. No key: no claim, every attempt declares.
    async with once(deps.idempotency, cmd.idempotency_key, now, DECLARATION_LEASE,
                    release_on=(StorageUnavailable,)) as claim:
        if not claim.owned and not claim.record.done:
            raise DeclarationInProgress("this declaration is already being processed")
        incident_id = claim.result = claim.record.result
        if incident_id:
            try:
                return await deps.incidents.get(incident_id)
            except NotFound:
                pass  # the earlier attempt stopped between recording the id and storing: finish it
        else:
            number = await deps.incidents.next_number(deps.policy.id_prefix, now.year)
            incident_id = format_incident_id(deps.policy.id_prefix, now.year, number)
            await claim.complete(incident_id)
    incident.assign_id(incident_id)
    await deps.sweeps.ensure(deps.due_work, incident_id, now)
    try:
        await deps.incidents.add(incident)
    except ConcurrencyConflict:
        if not cmd.idempotency_key:
            raise
        return await deps.incidents.get(incident_id)  # a racing retry stored it first
    return incident


# How each change command applies to a loaded incident; all are stored the same way.
_Change = Callable[[Any, Incident, datetime, OrganisationPolicy], object]
CHANGES: dict[type, _Change] = {
    # An acknowledgement or an update also moves what it does: the status, the plan (incident/progress.py).
    commands.PostUpdate: lambda c, i, now, p: progress.post_update(i, actor=c.actor, at=now, text=c.text, policy=p),
    commands.Acknowledge: lambda c, i, now, p: progress.acknowledge(i, actor=c.actor, at=now, policy=p),
    commands.ChangeStatus: lambda c, i, now, p: i.transition(
        c.target, actor=c.actor, at=now, policy=p, reason=c.reason),
    # commands.Resolve also settles the open tasks: services/task_handlers.py handles it.
    commands.Reopen: lambda c, i, now, p: i.reopen(actor=c.actor, at=now, policy=p, reason=c.reason),
    commands.CompletePlanStep: lambda c, i, now, p: i.complete_plan_step(
        index=c.index, actor=c.actor, at=now, policy=p),
    commands.SnoozeReminders: lambda c, i, now, p: i.snooze_reminders(actor=c.actor, at=now, minutes=c.minutes),
    commands.Escalate: lambda c, i, now, p: i.escalate(role=c.role, to=c.to, at=now, policy=p, reason=c.reason),
    commands.AssignRole: lambda c, i, now, p: i.assign_role(
        role=c.role, person=c.person, actor=c.actor, at=now, policy=p),
    commands.ChangeSeverity: lambda c, i, now, p: i.change_severity(
        severity=c.severity, actor=c.actor, at=now, policy=p, reason=c.reason),
    # Risk assessment (incident/assessment.py): asking and deciding are for managers (services/permissions.py);
    # the domain itself lets only the people asked answer, and reveals at the deadline or with the last answer.
    commands.RequestAssessment: lambda c, i, now, p: assessment.request_assessment(
        i, actor=c.actor, assessors=c.assessors, at=now,
        deadline=timedelta(minutes=c.minutes) if c.minutes else p.assessment_deadline),
    commands.AnswerAssessment: lambda c, i, now, p: assessment.answer_assessment(
        i, assessor=c.actor, likelihood=c.likelihood, impact=c.impact, ratings=c.ratings, at=now, policy=p,
        comment=c.comment, round_number=c.round),
    commands.RevealAssessment: lambda c, i, now, p: assessment.reveal_assessment(
        i, at=now, policy=p, round_number=c.round),
    commands.DecideAssessment: lambda c, i, now, p: assessment.decide_assessment(
        i, actor=c.actor, at=now, policy=p, accept=c.accept, severity=c.severity, priority=c.priority,
        reason=c.reason, round_number=c.round),
    # A note typed by hand or a Teams message captured (incident/notes.py): anyone who may see the incident.
    AddNote: lambda c, i, now, p: notes.add_note(i, actor=c.actor, at=now, text=c.text, pinned=c.pinned,
                                                 source=c.source),
    # The status page (incident/publishing.py): communications lead, managers and admins; never a private one.
    commands.PostPublicUpdate: lambda c, i, now, p: publishing.post_public_update(
        i, actor=c.actor, at=now, text=c.text, policy=p),
    commands.SetPublicTitle: lambda c, i, now, p: publishing.set_public_title(i, actor=c.actor, at=now, title=c.title),
    # By hand (incident/invitations.py): people invited after the declaration, and the priority set.
    InvitePeople: lambda c, i, now, p: invite_people(i, people=c.people, actor=c.actor, at=now),
    ChangePriority: lambda c, i, now, p: change_priority(i, priority=c.priority, actor=c.actor, at=now, policy=p,
                                                         reason=c.reason),
}


async def apply_change(cmd: Any, deps: Dependencies) -> Incident:
    """The one handler of every change command in ``CHANGES``: who may (services/permissions.py), then the
    domain decides, checked and applied against the incident as stored now."""
    now = deps.clock.now()
    change = CHANGES[type(cmd)]

    def authorised_change(incident: Incident) -> object:
        authorise(cmd, incident, deps.policy)
        return change(cmd, incident, now, deps.policy)

    incident, _ = await change_incident(deps, cmd.incident_id, authorised_change)
    return incident


async def pin_note(cmd: PinNote, deps: Dependencies) -> Incident:
    """``pin <n>`` / ``unpin <n>``: who may add a note may pin one; note n is read from the timeline (notes are
    only ever added, so their numbers never change)."""
    now = deps.clock.now()
    found = notes.notes_of(await deps.incidents.timeline(cmd.incident_id))

    def authorised_change(incident: Incident) -> object:
        authorise(cmd, incident, deps.policy)
        note = notes.numbered_note(found, cmd.note, incident.id)
        return notes.pin_note(incident, actor=cmd.actor, at=now, note=note, number=cmd.note, pinned=cmd.pinned)

    incident, _ = await change_incident(deps, cmd.incident_id, authorised_change)
    return incident


# Changes that read the timeline before they apply (the n-th note), each with its own handler.
READ_FIRST: dict[type, Handler] = {PinNote: pin_note}
HANDLERS: dict[type, Handler] = {
    commands.DeclareIncident: declare_incident,
    **READ_FIRST,
    **{command_type: apply_change for command_type in CHANGES},
    **PLAYBOOK_HANDLERS,  # playbooks and the roster: changes outside any incident, through the same bus
    **ROSTER_HANDLERS,
    **MAINTENANCE_HANDLERS,  # scheduled maintenance on the status page, outside any incident
}


async def open_incidents(deps: Dependencies) -> list[Incident]:
    """Open incidents, most severe first, then oldest first (the read side of ``list``)."""
    ranks = {s.name: s.rank for s in deps.policy.severities}
    found = await deps.incidents.list_open()
    return sorted(found, key=lambda i: (ranks.get(i.severity, 99), i.declared_at, i.id))


def active_and_resolved(found: list[Incident]) -> tuple[list[Incident], list[Incident]]:
    """Open incidents split: those still being fixed, and the resolved ones awaiting a postmortem or closing
    (``list``, the dashboard and ``incident list`` show them apart; "open" never counts the resolved)."""
    return [i for i in found if i.status.is_active], [i for i in found if not i.status.is_active]


async def incident_timeline(deps: Dependencies, incident_id: str) -> list[TimelineEvent]:
    return await deps.incidents.timeline(incident_id)
