"""Handlers of the task commands, and of resolving (which settles the open tasks): who may
(services/permissions.py), then the domain decides and one transaction stores it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from incident import commands, tasks
from incident import task_commands as tc
from incident.model import Incident
from services.bus import Dependencies, Handler
from services.postmortem_handlers import applying

_Change = Callable[[Any, Incident, datetime, Dependencies], object]


def _resolve(cmd: commands.Resolve, incident: Incident, now: datetime, deps: Dependencies) -> object:
    """Resolve, then carry each open task over as a follow-up or drop it with its reason, in one change."""
    decisions = tasks.decisions_for(incident, {number: (choice, reason) for number, choice, reason in cmd.tasks})
    event = incident.resolve(actor=cmd.actor, at=now, policy=deps.policy, resolution=cmd.resolution,
                             criteria_met=cmd.criteria_met, override_reason=cmd.override_reason)
    tasks.settle_tasks(incident, decisions, actor=cmd.actor, at=now, policy=deps.policy,
                       tracked=deps.tracker is not None)
    return event


TASK_CHANGES: dict[type, _Change] = {
    tc.AddTask: lambda c, i, now, d: tasks.add_task(i, text=c.text, owner=c.owner, actor=c.actor, at=now,
                                                    due_at=c.due_at),
    tc.CompleteTask: lambda c, i, now, d: tasks.complete_task(i, number=c.number, actor=c.actor, at=now),
    tc.ReassignTask: lambda c, i, now, d: tasks.reassign_task(i, number=c.number, owner=c.owner, actor=c.actor,
                                                              at=now),
    commands.Resolve: _resolve,
}


apply_task_change = applying(TASK_CHANGES)
TASK_HANDLERS: dict[type, Handler] = {command: apply_task_change for command in TASK_CHANGES}
