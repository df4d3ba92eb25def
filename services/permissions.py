"""Which action of incident/access.py each command is, checked for its actor before any change applies.

Every change command of every surface (Teams, email links and replies, the CLI's ``--as``) passes here,
inside the transaction, so the check reads the incident as it is stored now. A timer's command has no
actor: devopsbot acts on its own schedule. The operator at the CLI without ``--as`` sets
``enforce_roles=False`` and acts with full authority.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from incident import commands
from incident import postmortem_commands as pc
from incident import task_commands as tc
from incident.access import MANAGING_ROLES, Action, is_in, require
from incident.errors import NotPermitted
from incident.invitations import ChangePriority, InvitePeople
from incident.model import Incident, Person
from incident.note_commands import AddNote, PinNote
from incident.policy import OrganisationPolicy

# What each command asks to do (assignments are worked out from the role: see ``_assignment``).
ACTIONS: dict[type, Action] = {
    commands.PostUpdate: Action.POST_UPDATE,
    commands.Acknowledge: Action.ACKNOWLEDGE,
    commands.ChangeStatus: Action.CHANGE_STATUS,
    commands.Resolve: Action.RESOLVE,
    commands.Reopen: Action.REOPEN,
    commands.CompletePlanStep: Action.TICK_PLAN_STEP,
    commands.SnoozeReminders: Action.SNOOZE,
    commands.AssignRole: Action.FILL_ROLE,
    commands.ChangeSeverity: Action.CHANGE_SEVERITY,
    commands.RequestAssessment: Action.REQUEST_ASSESSMENT,
    commands.AnswerAssessment: Action.ANSWER_ASSESSMENT,
    commands.DecideAssessment: Action.DECIDE_ASSESSMENT,
    pc.EditPostmortem: Action.WRITE_POSTMORTEM,
    pc.AssignPostmortemOwner: Action.WRITE_POSTMORTEM,
    pc.CompletePostmortem: Action.WRITE_POSTMORTEM,
    pc.ReopenPostmortem: Action.WRITE_POSTMORTEM,
    pc.AddFollowUp: Action.WRITE_POSTMORTEM,
    pc.CompleteFollowUp: Action.COMPLETE_FOLLOW_UP,
    pc.CloseIncident: Action.CLOSE,
    AddNote: Action.ADD_NOTE,
    PinNote: Action.ADD_NOTE,  # who may add a note may make it a key event
    tc.AddTask: Action.MANAGE_TASKS,
    tc.CompleteTask: Action.MANAGE_TASKS,
    tc.ReassignTask: Action.MANAGE_TASKS,
    commands.PostPublicUpdate: Action.PUBLISH,
    commands.SetPublicTitle: Action.PUBLISH,
    InvitePeople: Action.INVITE,
    ChangePriority: Action.CHANGE_PRIORITY,
}
# devopsbot's own commands: timers and the tracker's answer, which carry no actor.
SYSTEM_COMMANDS = frozenset({commands.Escalate, commands.RevealAssessment, pc.RecordFollowUpFiled})

# The people a command brings into the incident; on a private incident that is a manager's call.
_NAMED: dict[type, Callable[[Any], Iterable[Person]]] = {
    commands.AssignRole: lambda c: (c.person,),
    commands.RequestAssessment: lambda c: c.assessors,
    pc.AssignPostmortemOwner: lambda c: (c.owner,),
    pc.AddFollowUp: lambda c: (c.owner,),
    tc.AddTask: lambda c: (c.owner,),
    tc.ReassignTask: lambda c: (c.owner,),
    InvitePeople: lambda c: c.people,
}


def _assignment(cmd: commands.AssignRole, incident: Incident, policy: OrganisationPolicy) -> Action:
    """Giving a held commander or deputy role to someone else is taking over command."""
    role = policy.role(cmd.role).key
    return Action.TAKE_OVER if role in MANAGING_ROLES and role in incident.roles else Action.FILL_ROLE


def authorise(cmd: Any, incident: Incident, policy: OrganisationPolicy) -> None:
    """NotPermitted unless the command's actor may do it to ``incident`` as stored now."""
    kind = type(cmd)
    if kind in SYSTEM_COMMANDS or not getattr(cmd, "enforce_roles", True):
        return
    if kind not in ACTIONS:
        raise NotPermitted(f"no rule says who may {kind.__name__} on {incident.id}, so nobody may.")
    actor: Person = cmd.actor
    action = _assignment(cmd, incident, policy) if isinstance(cmd, commands.AssignRole) else ACTIONS[kind]
    require(incident, action, actor, policy.admins, follow_up=getattr(cmd, "number", None))
    named = _NAMED.get(kind)
    if named is not None and not all(is_in(incident, person) for person in named(cmd)):
        require(incident, Action.ADD_PEOPLE, actor, policy.admins)

