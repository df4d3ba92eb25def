"""The command line: every step of the incident process by hand, plus the local host and stack.

Errors map to an exit code and one line on stderr (``devopsbot: error: ...``), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from incident.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    DevopsbotError,
    DomainError,
    NotFound,
    StorageUnavailable,
)
from incident.instants import parse_instant

EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (ConfigurationError, 2),
    (NotFound, 3),
    (DomainError, 4),
    (ConcurrencyConflict, 5),
    (StorageUnavailable, 6),
)
HOST_ERROR_EXIT = 7

# Further command families, each a module with ``register(subparsers)`` that adds its parsers and
# sets ``run`` on them. Those modules import nothing heavy at module level.
COMMAND_MODULES: tuple[str, ...] = ("devopsbot.cli_assess", "devopsbot.cli_report", "devopsbot.cli_package",
                                    "devopsbot.roster_cli", "devopsbot.cli_postmortem", "devopsbot.cli_mail",
                                    "devopsbot.playbook_cli")


def _prepare_environment() -> None:
    """Settings come from the environment, completed by local.settings.json like the Functions host."""
    from devopsbot.local_host import ROOT, load_local_settings

    load_local_settings(ROOT / "local.settings.json", os.environ)


def _container() -> Any:
    from devopsbot.bootstrap import get_container

    return get_container()


def _actor(text: str | None) -> Any:
    """``--as "Display Name <id>"`` (or just a name) or the login name: who the timeline says did it."""
    from incident.model import Person
    from incident.people import split_named

    if text:
        named = split_named(text)
        if named and not named[2]:
            return Person(id=named[1], name=named[0] or named[1])
        return Person(id=text.strip(), name=text.strip())
    user = getpass.getuser()
    return Person(id=f"cli:{user}", name=user)


def _on_behalf(args: argparse.Namespace) -> bool:
    """``--as`` acts as that person, with exactly their rights (incident/access.py); without it the operator,
    who holds the storage keys anyway, acts with full authority under their login name."""
    return bool(getattr(args, "actor", None))


async def _with_container(work: Callable[[Any], Coroutine[Any, Any, int]]) -> int:
    container = _container()
    try:
        return await work(container)
    finally:
        await container.aclose()  # after the reactions: Teams is told before the command returns


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


def _incident_json(incident: Any) -> dict[str, Any]:
    return {
        "id": incident.id, "title": incident.title, "summary": incident.summary,
        "type": incident.type, "severity": incident.severity, "status": incident.status.value,
        "declared_at": incident.declared_at.isoformat(), "declared_by": incident.declared_by.name,
        "roles": {k: v.name for k, v in incident.roles.items()},
        "services": list(incident.services), "last_update": incident.last_update,
        "resolution": incident.resolution, "private": incident.private,
    }


# -- incident commands -------------------------------------------------------------------------

def _incident_command(args: argparse.Namespace) -> int:
    from incident import commands
    from incident.access import Action, require
    from incident.ids import parse_incident_id
    from services.handlers import incident_timeline, open_incidents

    actor = _actor(args.actor)

    async def work(container: Any) -> int:
        bus = container.bus
        action = args.incident_action
        if action == "list":
            found = await open_incidents(container.dependencies)
            if args.json:
                print(json.dumps([_incident_json(i) for i in found], indent=2))
            if _on_behalf(args):  # as someone: a security incident they are not in is listed without details
                found = [i if i.may_see(actor, container.policy.admins) else _withheld(i) for i in found]
            for incident in [] if args.json else found:
                print(f"{incident.id}  [{incident.severity}] {incident.status:<13} {incident.title}")
            if not found and not args.json:
                print("No open incidents.")
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
                if _on_behalf(args):
                    require(incident, Action.SEE, actor, container.policy.admins)
                _print_incident(incident, args.json)
                if not args.json:
                    for event in await incident_timeline(container.dependencies, incident_id):
                        print(f"  {event.at:%Y-%m-%d %H:%M:%S} UTC  {event.kind:<16} "
                              f"{event.actor}: {event.summary}")
                return 0
            command = _change_command(args, incident_id, actor)
        incident = await bus.handle(command)
        _print_incident(incident, args.json)
        return 0

    return asyncio.run(_with_container(work))


def _withheld(incident: Any) -> Any:
    """A security incident as someone outside it may list it: its id, severity and status only."""
    from dataclasses import replace

    return replace(incident.copy(), title="security incident", summary="", roles={}, last_update="",
                   resolution="", services=())


def _change_command(args: argparse.Namespace, incident_id: str, actor: Any) -> Any:
    """The command object for one of the change sub-commands."""
    from incident import commands
    from incident.lifecycle import Status

    action = args.incident_action
    enforce = _on_behalf(args)
    if action == "update":
        return commands.PostUpdate(incident_id, " ".join(args.text), actor, enforce_roles=enforce)
    if action == "ack":
        return commands.Acknowledge(incident_id, actor, enforce_roles=enforce)
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
        return commands.AssignRole(incident_id, args.role, _actor(args.person), actor, enforce_roles=enforce)
    return commands.ChangeSeverity(incident_id, args.level, actor, args.reason or "", enforce_roles=enforce)


def _check_command(args: argparse.Namespace) -> int:
    async def work(container: Any) -> int:
        policy = container.policy
        print(f"settings: ok; organisation file {container.settings.organisation_file}: ok "
              f"({len(policy.severities)} severities, {len(policy.incident_types)} incident types)")
        for feature, reason in container.settings.switched_off:  # the core runs; these wait for their setting
            print(f"switched off: {feature.replace('_', ' ')}: {reason}")
        reachable, detail = await container.storage_reachable()
        print(f"storage: {detail}")
        return 0 if reachable else 6

    return asyncio.run(_with_container(work))


# -- local host and stack ----------------------------------------------------------------------

def _serve_command(args: argparse.Namespace) -> int:
    from devopsbot.local_host import LocalHost


    async def serve(container: Any) -> int:
        reachable, detail = await container.storage_reachable()
        if not reachable:
            print(f"devopsbot: error: storage is not reachable: {detail}", file=sys.stderr)
            return 6
        import function_app

        host = LocalHost(function_app.app, host=args.host, port=args.port)
        await host.start()
        try:
            print(f"devopsbot local Functions host on http://{args.host}:{args.port}", flush=True)
            print("\n".join(host.describe()), flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await host.stop()
        return 0

    return asyncio.run(_with_container(serve))


def _timers_command(args: argparse.Namespace) -> int:
    """One tick of due work as of ``--at`` (default: now): replay a missed minute, or travel in time."""
    from adapters.clock import FixedClock
    from devopsbot.bootstrap import Container
    from devopsbot.settings import load_settings
    from services.timers import run_tick

    at = parse_instant(args.at, "--at") if args.at else None
    container = Container(load_settings(os.environ), clock=FixedClock(at) if at else None)
    container.validate()

    async def tick(container: Any) -> int:
        report = await run_tick(container.bus, container.clock.now())
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(report.kinds.items())) or "nothing"
        print(f"tick at {container.clock.now():%Y-%m-%dT%H:%M:%SZ}: {report.due} due; done: {kinds}; "
              f"{report.skipped} taken by another run; {report.failed} failed (retried later)")
        return 0  # failed items stay due and are retried by later ticks; the line above says so

    async def run() -> int:
        try:
            return await tick(container)
        finally:
            await container.aclose()

    return asyncio.run(run())


def _dev_command(args: argparse.Namespace) -> int:
    from devopsbot.dev_stack import run_dev_stack

    return run_dev_stack()


# -- parser ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devopsbot",
                                     description="devopsbot: incident management for Microsoft Teams.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve every HTTP function under /api and run every timer")
    serve.add_argument("--port", type=int, default=7071)
    serve.add_argument("--host", default="127.0.0.1")
    serve.set_defaults(run=_serve_command)

    dev = sub.add_parser("dev", help="start Azurite, the local host, the Agents Playground and maildev")
    dev.set_defaults(run=_dev_command)

    timers = sub.add_parser("timers", help="run one tick of due work (reminders, escalation), as of --at")
    timers.add_argument("--at", help="the instant to run it as of, ISO 8601 (default: now)")
    timers.set_defaults(run=_timers_command)

    check = sub.add_parser("check", help="validate settings and the organisation file; probe storage")
    check.set_defaults(run=_check_command)

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
    actions.add_parser("list", help="open incidents, most severe first")
    for name, text in (("show", "an incident and its timeline"), ("ack", "acknowledge")):
        actions.add_parser(name, help=text).add_argument("id")
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
    incident.set_defaults(run=_incident_command)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from devopsbot.local_host import HostError

    try:
        _prepare_environment()
        return int(args.run(args))
    except HostError as error:
        print(f"devopsbot: error: {error}", file=sys.stderr)
        return HOST_ERROR_EXIT
    except DevopsbotError as error:
        print(f"devopsbot: error: {error}", file=sys.stderr)
        return next((code for kind, code in EXIT_CODES if isinstance(error, kind)), 1)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        logging.getLogger("devopsbot").debug("unexpected error", exc_info=error)
        print(f"devopsbot: error: unexpected {type(error).__name__}: {str(error)[:300]}", file=sys.stderr)
        return 1
