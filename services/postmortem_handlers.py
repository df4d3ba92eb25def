"""Handlers of the postmortem commands: who may (services/permissions.py), then the domain decides and one
transaction stores it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from incident import postmortem_commands as pc
from incident.access import is_admin
from incident.errors import ConcurrencyConflict
from incident.model import Incident
from incident.postmortem_merge import shown_fingerprints
from services.bus import Dependencies, Handler
from services.handlers import change_incident
from services.permissions import authorise

_Change = Callable[[Any, Incident, datetime, Dependencies], object]


def _close(cmd: pc.CloseIncident, incident: Incident, now: datetime, deps: Dependencies) -> object:
    # Overriding the postmortem is an incident admin's call; an operator at the CLI has full authority.
    may_override = not cmd.enforce_roles or is_admin(cmd.actor, deps.policy.admins)
    return incident.close(actor=cmd.actor, at=now, policy=deps.policy, override_reason=cmd.override_reason,
                          may_override=may_override)


def _edit(cmd: pc.EditPostmortem, incident: Incident, now: datetime, deps: Dependencies) -> object:
    if cmd.expected and incident.postmortem is not None:
        stored = shown_fingerprints(incident.postmortem)
        moved = [key for key, seen in cmd.expected.items() if stored.get(key) != seen]
        if moved:  # changed between the card's save reading it and this transaction: never overwrite
            raise ConcurrencyConflict(f"{incident.id}: the postmortem was changed meanwhile; save again")
    return incident.edit_postmortem(actor=cmd.actor, at=now, policy=deps.policy, sections=cmd.sections,
                                    factors=cmd.factors)


# What each command changes; who may is services/permissions.py. All are stored the same way.
POSTMORTEM_CHANGES: dict[type, _Change] = {
    pc.EditPostmortem: _edit,
    pc.AssignPostmortemOwner: lambda c, i, now, d: i.assign_postmortem_owner(
        owner=c.owner, actor=c.actor, at=now, policy=d.policy),
    pc.CompletePostmortem: lambda c, i, now, d: i.complete_postmortem(actor=c.actor, at=now, policy=d.policy),
    pc.ReopenPostmortem: lambda c, i, now, d: i.reopen_postmortem(
        actor=c.actor, at=now, policy=d.policy, reason=c.reason),
    pc.AddFollowUp: lambda c, i, now, d: i.add_follow_up(
        title=c.title, owner=c.owner, actor=c.actor, at=now, policy=d.policy, due_at=c.due_at, link=c.link,
        tracked=d.tracker is not None),
    pc.CompleteFollowUp: lambda c, i, now, d: i.complete_follow_up(number=c.number, actor=c.actor, at=now),
    pc.RecordFollowUpFiled: lambda c, i, now, d: i.follow_up_filed(number=c.number, url=c.url, at=now),
    pc.CloseIncident: _close,
}


def applying(changes: dict[type, _Change]) -> Callable[[Any, Dependencies], Awaitable[Incident]]:
    """The one handler of every command in ``changes`` (deps-aware changes: postmortems, tasks)."""

    async def apply(cmd: Any, deps: Dependencies) -> Incident:
        now = deps.clock.now()
        change = changes[type(cmd)]

        def authorised_change(incident: Incident) -> object:
            authorise(cmd, incident, deps.policy)
            return change(cmd, incident, now, deps)

        incident, _ = await change_incident(deps, cmd.incident_id, authorised_change)
        return incident

    return apply


apply_postmortem_change = applying(POSTMORTEM_CHANGES)


POSTMORTEM_HANDLERS: dict[type, Handler] = {command: apply_postmortem_change for command in POSTMORTEM_CHANGES}
