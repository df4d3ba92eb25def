"""Handlers of the postmortem commands: who may do what, then the domain decides and one transaction stores it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from incident import postmortem_commands as pc
from incident.errors import ConcurrencyConflict, NotPermitted
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from incident.postmortem_merge import shown_fingerprints
from services.bus import Dependencies, Handler
from services.handlers import change_incident

_Change = Callable[[Any, Incident, datetime, Dependencies], object]
_Allowed = Callable[[Any, Incident, OrganisationPolicy], bool]


def _writer(cmd: Any, incident: Incident, policy: OrganisationPolicy) -> bool:
    return incident.may_edit_postmortem(cmd.actor, policy.admins)


def _follow_up_owner(cmd: Any, incident: Incident, policy: OrganisationPolicy) -> bool:
    owner = incident.follow_up(cmd.number).owner
    return cmd.actor.id == owner.id or _writer(cmd, incident, policy)


def _admin(actor: Person, policy: OrganisationPolicy) -> bool:
    """``[teams] admins`` lists Teams ids or Entra object ids (as for the roster): either one counts."""
    return actor.id in policy.admins or bool(actor.aad_id and actor.aad_id in policy.admins)


def _manager(cmd: Any, incident: Incident, policy: OrganisationPolicy) -> bool:
    return incident.may_manage(cmd.actor, policy.admins) or _admin(cmd.actor, policy)


def _anyone(cmd: Any, incident: Incident, policy: OrganisationPolicy) -> bool:
    return True


def _close(cmd: pc.CloseIncident, incident: Incident, now: datetime, deps: Dependencies) -> object:
    # Overriding the postmortem is an incident admin's call; an operator at the CLI has full authority.
    may_override = not cmd.enforce_roles or _admin(cmd.actor, deps.policy)
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


# Each command: (who may, what it changes). All are stored the same way.
POSTMORTEM_CHANGES: dict[type, tuple[_Allowed, _Change]] = {
    pc.EditPostmortem: (_writer, lambda c, i, now, d: _edit(c, i, now, d)),
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
