"""``python -m devopsbot incident ...``: the incident process by hand (declare, list, show and every change)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from devopsbot.cli import common


def register(sub: Any) -> None:
    incident = sub.add_parser("incident", help="run the incident process by hand")
    incident.add_argument("--as", dest="actor", help='who is acting, as "Display Name <id>"')
    incident.add_argument("--json", action="store_true", help="print JSON")
    actions = incident.add_subparsers(dest="incident_action", required=True)
    declare = actions.add_parser("declare", help="declare a new incident")
    declare.add_argument("--title", required=True)
    declare.add_argument("--type", required=True, help="incident type key, e.g. outage")
    declare.add_argument("--severity", required=True, help="e.g. SEV2")
    declare.add_argument("--summary")
    declare.add_argument("--service", action="append")
    declare.add_argument("--environment", action="append")
    declare.add_argument("--region", action="append")
    declare.add_argument("--private", action="store_true", help="a security incident: no details broadcast")
    declare.add_argument("--idempotency-key", help="repeat-safe: the same key declares once")
    actions.add_parser("list", help="active incidents, most severe first, then resolved ones awaiting a postmortem")
    for name, text in (("show", "an incident and its timeline"), ("ack", "acknowledge")):
        actions.add_parser(name, help=text).add_argument("id")
    # ``incident show ID --json`` as well as ``incident --json show ID``: set only when given.
    actions.choices["show"].add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                                         help="print JSON, with the timeline and the notes")
    actions.add_parser("bridge", help="open the incident's Teams meeting bridge, or show its link").add_argument("id")
    note = actions.add_parser("note", help="add a note to the timeline (--pin: a key event)")
    note.add_argument("id")
    note.add_argument("text", nargs="+")
    note.add_argument("--pin", action="store_true", help="a key event: it stands out in the incident document")
    for verb, text in (("pin", "make note N a key event (notes count from 1 in the order added)"),
                       ("unpin", "make note N an ordinary note again")):
        pin = actions.add_parser(verb, help=text)
        pin.add_argument("id")
        pin.add_argument("number", type=int, metavar="N")
    update = actions.add_parser("update", help="post a status update")
    update.add_argument("id")
    update.add_argument("text", nargs="+")
    status = actions.add_parser("status", help="move along the lifecycle")
    status.add_argument("id")
    status.add_argument("target", choices=["investigating", "identified", "monitoring", "postmortem", "closed"])
    status.add_argument("--reason")
    resolve = actions.add_parser("resolve", help="resolve with a resolution text")
    resolve.add_argument("id")
    resolve.add_argument("--resolution", required=True)
    resolve.add_argument("--met", action="append", metavar="CRITERION",
                         help="an exit criterion that is met (repeat for each); see the incident type")
    resolve.add_argument("--override", metavar="REASON", help="resolve although criteria are unmet, and why")
    plan = actions.add_parser("plan", help="tick a step of the response plan")
    plan.add_argument("id")
    plan.add_argument("step", type=int, help="the step's number, from 1")
    reopen = actions.add_parser("reopen", help="reopen a resolved incident")
    reopen.add_argument("id")
    reopen.add_argument("--reason", required=True)
    assign = actions.add_parser("assign", help='give a role to someone ("Display Name <id>")')
    assign.add_argument("id")
    assign.add_argument("role")
    assign.add_argument("person")
    severity = actions.add_parser("severity", help="change the severity")
    severity.add_argument("id")
    severity.add_argument("level")
    severity.add_argument("--reason")
    task = actions.add_parser("task", help="add a task (any severity, until the incident is closed)")
    task.add_argument("id")
    task.add_argument("text", nargs="+")
    task.add_argument("--owner", help='their email, or "Display Name <id>" (default: whoever acts)')
    task.add_argument("--due", help="'by 10:30', 'in 30m', 'in 2h' or an ISO instant (organisation's time zone)")
    task_done = actions.add_parser("task-done", help="mark a task done")
    task_done.add_argument("id")
    task_done.add_argument("number", type=int)
    invite = actions.add_parser("invite", help='invite people after the declaration ("Display Name <id> [email]")')
    invite.add_argument("id")
    invite.add_argument("people", nargs="+", metavar="PERSON")
    priority = actions.add_parser("priority", help="set the priority (one of the organisation's bands, e.g. P2)")
    priority.add_argument("id")
    priority.add_argument("level")
    priority.add_argument("--reason")
    public = actions.add_parser("public", help="post an update on the public status page (never a private incident)")
    public.add_argument("id")
    public.add_argument("text", nargs="+")
    public_title = actions.add_parser("public-title", help="the title the public status page shows")
    public_title.add_argument("id")
    public_title.add_argument("text", nargs="+")
    incident.set_defaults(run=_incident_command)


def _print_incident(incident: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_incident_json(incident), indent=2))
        return
    roles = ", ".join(f"{k}: {v}" for k, v in incident.roles.items()) or "none assigned"
    print(f"{incident.id}  [{incident.severity}] {incident.title}")
    print(f"  status {incident.status}, type {incident.type}, "
          f"declared {incident.declared_at:%Y-%m-%d %H:%M} UTC by {incident.declared_by}")
    print(f"  roles: {roles}")
    if incident.last_update:
        print(f"  last update: {incident.last_update}")
    for task in incident.tasks:
        due = f", due {task.due_at:%Y-%m-%d %H:%M} UTC" if task.due_at else ""
        state = "open" if task.is_open else "done" if task.done_at else "settled at resolve"
        print(f"  task #{task.number}: {task.text} ({task.owner}{due}, {state})")


def _incident_json(incident: Any) -> dict[str, Any]:
    return {
        "id": incident.id, "title": incident.title, "summary": incident.summary,
        "type": incident.type, "severity": incident.severity, "status": incident.status.value,
        "declared_at": incident.declared_at.isoformat(), "declared_by": incident.declared_by.name,
        "roles": {k: v.name for k, v in incident.roles.items()},
        "services": list(incident.services), "last_update": incident.last_update,
        "resolution": incident.resolution, "private": incident.private, "priority": incident.priority,
        "invitees": [{"id": p.id, "name": p.name, "email": p.email} for p in incident.invitees],
        "tasks": [{"number": t.number, "text": t.text, "owner": t.owner.name, "open": t.is_open,
                   "due": t.due_at.isoformat() if t.due_at else None, "done": t.done_at is not None,
                   "dropped": t.dropped, "follow_up": t.follow_up} for t in incident.tasks],
    }


def _timeline_json(timeline: list[Any]) -> dict[str, Any]:
    """What ``show --json`` adds: every timeline event, and the notes among them as people said them."""
    from dataclasses import asdict

    from incident.notes import notes_of

    events = [{"sequence": e.sequence, "at": e.at.isoformat(), "actor": e.actor.name, "kind": e.kind,
               "summary": e.summary, "before": dict(e.before), "after": dict(e.after)} for e in timeline]
    notes = [asdict(n) | {"added_at": n.added_at.isoformat()} for n in notes_of(timeline)]
    return {"timeline": events, "notes": notes}


# -- incident commands -------------------------------------------------------------------------

def _incident_command(args: argparse.Namespace) -> int:
    from incident import commands
    from incident.access import Action, require
    from incident.ids import parse_incident_id
    from services.handlers import incident_timeline, open_incidents

    actor = common.actor(args.actor)

    async def work(container: Any) -> int:
        bus = container.bus
        action = args.incident_action
        if action == "list":
            found = await open_incidents(container.dependencies)
            if common.on_behalf(args):  # as someone: a security incident they are not in is listed without details
                found = [i if i.may_see(actor, container.policy.admins) else _withheld(i) for i in found]
            if args.json:
                print(json.dumps([_incident_json(i) for i in found], indent=2))
            else:
                _print_listing(found)
            return 0
        if action == "declare":
            command: Any = commands.DeclareIncident(
                title=args.title, incident_type=args.type, severity=args.severity, actor=actor,
                summary=args.summary or "", services=tuple(args.service or ()),
                environments=tuple(args.environment or ()), regions=tuple(args.region or ()),
                private=container.policy.is_private(args.type, asked=args.private),
                idempotency_key=args.idempotency_key or "")
        else:
            incident_id = parse_incident_id(args.id)
            if action == "show":
                incident = await container.dependencies.incidents.get(incident_id)
                if common.on_behalf(args):
                    require(incident, Action.SEE, actor, container.policy.admins)
                timeline = await incident_timeline(container.dependencies, incident_id)
                if args.json:
                    print(json.dumps(_incident_json(incident) | _timeline_json(timeline), indent=2))
                    return 0
                _print_incident(incident, args.json)
                for event in timeline:
                    print(f"  {event.at:%Y-%m-%d %H:%M:%S} UTC  {event.kind:<16} "
                          f"{event.actor}: {event.summary}")
                return 0
            if action == "bridge":
                return await _bridge(container, incident_id, actor, common.on_behalf(args))
            if action == "task":
                await _read_due(args, container, incident_id)
            command = _change_command(args, incident_id, actor)
        incident = await bus.handle(command)
        _print_incident(incident, args.json)
        return 0

    return asyncio.run(common.with_container(work))


async def _bridge(container: Any, incident_id: str, actor: Any, on_behalf: bool) -> int:
    """As the Teams ``bridge`` command: the meeting's join link, opened now if there is none yet."""
    from incident.access import Action, require
    from incident.bridge import phone_bridge
    from services.bridge import ensure_bridge

    deps = container.bus.dependencies  # the bus's own: the stored link's reactions go through it
    incident = await deps.incidents.get(incident_id)
    if on_behalf:
        require(incident, Action.SEE, actor, deps.policy.admins)
    outcome = await ensure_bridge(deps, incident)
    if outcome.url:
        print(f"{incident.id}: {outcome.url}")
        return 0
    phone = phone_bridge(incident, deps.policy)
    print(f"devopsbot: error: no meeting bridge for {incident.id} ({outcome.reason.replace('_', ' ')})"
          + (f"; the response plan's phone bridge: {phone}" if phone else ""), file=sys.stderr)
    return 1


def _print_listing(found: list[Any]) -> None:
    """Active incidents first, then the resolved ones still awaiting a postmortem or closing."""
    from services.handlers import active_and_resolved

    if not found:
        print("No open incidents.")
        return
    active, resolved = active_and_resolved(found)
    if not active:
        print("No active incidents.")
    for heading, incidents in (("Active incidents", active),
                               ("Resolved, awaiting a postmortem or closing", resolved)):
        if incidents:
            print(f"{heading} ({len(incidents)}):")
        for incident in incidents:
            print(f"{incident.id}  [{incident.severity}] {incident.status:<13} {incident.title}")


def _withheld(incident: Any) -> Any:
    """A security incident as someone outside it may list it: its id, severity and status only."""
    from dataclasses import replace

    return replace(incident.copy(), title="security incident", summary="", roles={}, invitees=(), last_update="",
                   resolution="", services=())


def _change_command(args: argparse.Namespace, incident_id: str, actor: Any) -> Any:
    """The command object for one of the change sub-commands."""
    from incident import commands
    from incident.lifecycle import Status

    action = args.incident_action
    enforce = common.on_behalf(args)
    if action == "update":
        return commands.PostUpdate(incident_id, " ".join(args.text), actor, enforce_roles=enforce)
    if action == "ack":
        return commands.Acknowledge(incident_id, actor, enforce_roles=enforce)
    if action == "note":
        from incident.note_commands import AddNote

        return AddNote(incident_id, " ".join(args.text), actor, pinned=args.pin, enforce_roles=enforce)
    if action in ("pin", "unpin"):
        from incident.note_commands import PinNote

        return PinNote(incident_id, args.number, actor, pinned=action == "pin", enforce_roles=enforce)
    if action == "status":
        return commands.ChangeStatus(incident_id, Status(args.target), actor, args.reason or "",
                                     enforce_roles=enforce)
    if action == "resolve":
        return commands.Resolve(incident_id, args.resolution, actor, tuple(args.met or ()),
                                args.override or "", enforce_roles=enforce)
    if action == "reopen":
        return commands.Reopen(incident_id, args.reason, actor, enforce_roles=enforce)
    if action == "plan":
        return commands.CompletePlanStep(incident_id, args.step - 1, actor, enforce_roles=enforce)
    if action == "assign":
        return commands.AssignRole(incident_id, args.role, common.actor(args.person), actor, enforce_roles=enforce)
    if action in ("task", "task-done"):
        return _task_command(args, incident_id, actor, enforce)
    if action == "public":
        return commands.PostPublicUpdate(incident_id, " ".join(args.text), actor, enforce_roles=enforce)
    if action == "public-title":
        return commands.SetPublicTitle(incident_id, " ".join(args.text), actor, enforce_roles=enforce)
    if action in ("invite", "priority"):
        from incident.invitations import ChangePriority, InvitePeople

        if action == "priority":
            return ChangePriority(incident_id, args.level, actor, args.reason or "", enforce_roles=enforce)
        return InvitePeople(incident_id, tuple(map(invitee, args.people)), actor, enforce_roles=enforce)
    return commands.ChangeSeverity(incident_id, args.level, actor, args.reason or "", enforce_roles=enforce)


def _owner(text: str | None, actor: Any) -> Any:
    """``--owner``: an email address (the person's id and name until Teams knows them), or as ``--as``."""
    from incident.model import Person

    if not text:
        return actor
    cleaned = text.strip()
    if "@" in cleaned and "<" not in cleaned and " " not in cleaned:
        return Person(id=cleaned.lower(), name=cleaned, email=cleaned)
    return common.actor(cleaned)


def invitee(text: str) -> Any:
    """``"Display Name <id> [email]"``, or an email address alone (their id and name until Teams knows them)."""
    from incident.errors import InvalidValue
    from incident.model import Person
    from incident.people import split_named

    named = split_named(text)
    if named is None:
        if "@" in text and " " not in text.strip():
            return _owner(text, None)
        raise InvalidValue("person", f"'{text[:80]}' is not \"Display Name <id> [email]\" nor an email address")
    name, person_id, email = named
    if email and ("@" not in email or " " in email):
        raise InvalidValue("email", f"'{email[:80]}' after <{person_id}> is not an email address")
    return Person(id=person_id, name=name or person_id, email=email)


def _task_command(args: argparse.Namespace, incident_id: str, actor: Any, enforce: bool) -> Any:
    from incident import task_commands as tc

    if args.incident_action == "task-done":
        return tc.CompleteTask(incident_id, args.number, actor, enforce_roles=enforce)
    return tc.AddTask(incident_id, " ".join(args.text), _owner(args.owner, actor), actor,
                      due_at=getattr(args, "due_at", None), enforce_roles=enforce)


async def _read_due(args: argparse.Namespace, container: Any, incident_id: str) -> None:
    """``--due`` read against the clock, in the organisation's time zone for the incident's severity."""
    from incident.tasks import due_from, zone_of

    if getattr(args, "due", None):
        incident = await container.dependencies.incidents.get(incident_id)
        word, _, value = args.due.strip().partition(" ")
        word, value = ("", word) if not value else (word, value)
        args.due_at = due_from(word, value, container.dependencies.clock.now(),
                               zone_of(container.policy, incident.severity))
