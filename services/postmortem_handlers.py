"""Handlers of the postmortem commands: who may do what, then the domain decides and one transaction stores it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from incident import postmortem_commands as pc
from incident.errors import NotPermitted
from incident.model import Incident
from incident.policy import OrganisationPolicy
from services.bus import Dependencies, Handler
from services.handlers import change_incident

_Change = Callable[[Any, Incident, datetime, Dependencies], object]
_Allowed = Callable[[Any, Incident, OrganisationPolicy], bool]


def _writer(cmd: Any, incident: Incident, policy: OrganisationPolicy) -> bool:
    return incident.may_edit_postmortem(cmd.actor, policy.admins)


def _follow_up_owner(cmd: Any, incident: Incident, policy: OrganisationPolicy) -> bool:
    owner = incident.follow_up(cmd.number).owner
    return cmd.actor.id == owner.id or _writer(cmd, incident, policy)


def _manager(cmd: Any, incident: Incident, policy: OrganisationPolicy) -> bool:
    return incident.may_manage(cmd.actor, policy.admins)


def _anyone(cmd: Any, incident: Incident, policy: OrganisationPolicy) -> bool:
    return True


def _close(cmd: pc.CloseIncident, incident: Incident, now: datetime, deps: Dependencies) -> object:
    # Overriding the postmortem is an incident admin's call; an operator at the CLI has full authority.
    may_override = not cmd.enforce_roles or cmd.actor.id in deps.policy.admins
    return incident.close(actor=cmd.actor, at=now, policy=deps.policy, override_reason=cmd.override_reason,
                          may_override=may_override)


# Each command: (who may, what it changes). All are stored the same way.
POSTMORTEM_CHANGES: dict[type, tuple[_Allowed, _Change]] = {
    pc.EditPostmortem: (_writer, lambda c, i, now, d: i.edit_postmortem(
        actor=c.actor, at=now, policy=d.policy, sections=c.sections, factors=c.factors)),
    pc.AssignPostmortemOwner: (_writer, lambda c, i, now, d: i.assign_postmortem_owner(
        owner=c.owner, actor=c.actor, at=now, policy=d.policy)),
    pc.CompletePostmortem: (_writer, lambda c, i, now, d: i.complete_postmortem(
        actor=c.actor, at=now, policy=d.policy)),
    pc.ReopenPostmortem: (_writer, lambda c, i, now, d: i.reopen_postmortem(
        actor=c.actor, at=now, policy=d.policy, reason=c.reason)),
    pc.AddFollowUp: (_writer, lambda c, i, now, d: i.add_follow_up(
        title=c.title, owner=c.owner, actor=c.actor, at=now, policy=d.policy, due_at=c.due_at, link=c.link,
        tracked=d.tracker is not None)),
    pc.CompleteFollowUp: (_follow_up_owner, lambda c, i, now, d: i.complete_follow_up(
        number=c.number, actor=c.actor, at=now)),
    pc.RecordFollowUpFiled: (_anyone, lambda c, i, now, d: i.follow_up_filed(number=c.number, url=c.url, at=now)),
    pc.CloseIncident: (_manager, _close),
}


async def apply_postmortem_change(cmd: Any, deps: Dependencies) -> Incident:
    """The one handler of every command in ``POSTMORTEM_CHANGES``."""
    now = deps.clock.now()
    allowed, change = POSTMORTEM_CHANGES[type(cmd)]

    def authorised_change(incident: Incident) -> object:
        if getattr(cmd, "enforce_roles", False) and not allowed(cmd, incident, deps.policy):
            who = ("the commander, the deputy or an incident admin" if allowed is _manager
                   else "the postmortem's owner, the commander, the deputy or an incident admin")
            raise NotPermitted(f"only {who} may do this on {incident.id}")
        return change(cmd, incident, now, deps)

    incident, _ = await change_incident(deps, cmd.incident_id, authorised_change)
    return incident


POSTMORTEM_HANDLERS: dict[type, Handler] = {command: apply_postmortem_change for command in POSTMORTEM_CHANGES}
