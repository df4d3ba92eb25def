"""``python -m devopsbot roster ...``: show, set, override, check, import and export the roster.

Nothing heavy is imported at module level: the CLI's parser is built on every start.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path
from typing import Any

from incident.errors import InvalidValue
from incident.instants import parse_instant

ROSTER_FINDINGS_EXIT = 1  # `roster check` found single points of failure


def person(text: str) -> Any:
    """``"Display Name <id>"``, optionally followed by an email address (``<bob@x.example>`` or bare)."""
    from incident.people import Person, split_named

    named = split_named(text)
    email = named[2].removeprefix("<").removesuffix(">") if named else ""
    if named is None or (named[2] and ("@" not in email[1:-1] or any(c in "<>" or c.isspace() for c in email))):
        shown = text if len(text) <= 200 else text[:200] + "…"
        raise InvalidValue("person", f"'{shown}' is not like \"Display Name <id>\" or \"Display Name <id> email\"")
    name, person_id, _ = named
    return Person(id=person_id, name=name or person_id, email=email)


def _rotation(args: argparse.Namespace) -> Any:
    from datetime import date

    from incident.roster import WEEKDAYS, Rotation

    if not args.rotation:
        return None
    day, _, hour = (args.handoff or "").strip().lower().partition(" ")
    if day not in WEEKDAYS or not re.fullmatch(r"\d{1,2}:00", hour):
        raise InvalidValue("--handoff", f"'{args.handoff}' is not like 'mon 09:00' (a weekday and a whole hour)")
    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError:
        raise InvalidValue("--since", f"'{args.since}' is not a date like 2026-11-30") from None
    if since is None:
        raise InvalidValue("--since", "is required with a rotation: the first hand-off on or after it starts it")
    return Rotation(tuple(person(p) for p in args.rotation), WEEKDAYS.index(day), int(hour.split(":")[0]),
                    args.timezone, since)


def _describe(partition: Any, policy: Any, at: Any) -> list[str]:
    from incident.roster import chain_at

    lines = []
    for entry in partition.entries:
        now = chain_at(entry, partition.overrides, at)
        chain = " → ".join(f"{p.name} <{p.id}>" for p in (now.chain if now else ()))
        lines.append(f"{entry.service}  {entry.role:<20} {chain}")
        if entry.rotation is not None:
            turns = ", ".join(p.name for p in entry.rotation.people)
            lines.append(f"    rotation: {turns}; hand-off {entry.rotation.handoff_text()}, "
                         f"from {entry.rotation.since.isoformat()}")
    for override in partition.overrides:
        lines.append(f"    override {override.role}: {override.person.name} <{override.person.id}> from "
                     f"{override.start:%Y-%m-%dT%H:%MZ} to {override.end:%Y-%m-%dT%H:%MZ}"
                     + (f" ({override.reason})" if override.reason else ""))
    return lines


def _run(args: argparse.Namespace) -> int:
    from devopsbot.cli.common import actor as _actor
    from devopsbot.cli.common import with_container as _with_container
    from incident.roster_commands import AddOverride, ImportRoster, SetRole
    from services import roster_csv, roster_service

    if args.roster_action == "import":
        try:
            raw = Path(args.file).read_bytes()
        except OSError as error:
            raise InvalidValue("file", f"cannot read {args.file}: {error.strerror}") from None

    async def work(container: Any) -> int:
        roster, policy = container.dependencies.roster, container.policy
        now = parse_instant(args.at, "--at") if getattr(args, "at", None) else container.clock.now()
        action = args.roster_action
        bus = container.bus  # the operator at the CLI holds the storage keys: full authority
        if action == "set":
            rotation = _rotation(args)
            await bus.handle(SetRole(args.service, args.role, tuple(person(p) for p in args.people),
                                     _actor(args.actor), rotation, enforce_roles=False))
        elif action == "override":
            await bus.handle(AddOverride(args.service, args.role, person(args.person),
                                         parse_instant(args.start, "time"), parse_instant(args.end, "time"),
                                         _actor(args.actor), args.reason or "", enforce_roles=False))
        elif action == "check":
            report = await roster_service.check(roster, policy, now)
            print("\n".join(report.lines()) if not report.ok else
                  "No single point of failure: every critical role has at least two people.")
            return 0 if report.ok else ROSTER_FINDINGS_EXIT
        elif action == "export":
            sys.stdout.write(await roster_csv.export_csv(roster, policy, container.clock.now()))
            return 0
        elif action == "import":
            try:
                counts = await bus.handle(ImportRoster(raw, _actor(args.actor), now, enforce_roles=False))
            except roster_csv.RosterFileError as error:
                print(f"devopsbot: error: {args.file}: nothing was imported", file=sys.stderr)
                for problem in error.problems:
                    print(f"  {problem}", file=sys.stderr)
                return 4
            print(f"Imported {sum(counts.values())} roles and overrides for {', '.join(counts) or 'no service'}.")
            return 0
        services = [roster_service.known_service(policy, args.service)] if args.service else \
            [*policy.services, "*"]
        shown = False
        for service in services:
            for line in _describe((await roster.partition(service)).current(container.clock.now()), policy, now):
                print(line)
                shown = True
        if not shown:
            print(f"No roster for {args.service or 'any service'}.")
        return 0

    return asyncio.run(_with_container(work))


def register(subparsers: Any) -> None:
    roster = subparsers.add_parser("roster", help="who holds a role per service: primary, then delegates in order")
    roster.add_argument("--as", dest="actor", help='who is acting, as "Display Name <id>"')
    actions = roster.add_subparsers(dest="roster_action", required=True)
    show = actions.add_parser("show", help="the roster as it stands now (or --at); '*' is the organisation's")
    show.add_argument("service", nargs="?")
    show.add_argument("--at", help="ISO 8601 instant to resolve rotations and overrides at")
    change = actions.add_parser("set", help='set a role: "Primary <id> [email]" then delegates, in order')
    change.add_argument("service")
    change.add_argument("role")
    change.add_argument("people", nargs="*", help='"Display Name <id> [email]": primary first (delegates only '
                                                  "with --rotation)")
    change.add_argument("--rotation", action="append", metavar="PERSON",
                        help="a person of a weekly rotation, in turn order (repeat); the rotation is the primary")
    change.add_argument("--handoff", help="rotation hand-off, like 'mon 09:00'")
    change.add_argument("--timezone", default="UTC", help="IANA time zone of the hand-off, e.g. Europe/Paris")
    change.add_argument("--since", help="date of the first week (the first hand-off on or after it)")
    override = actions.add_parser("override", help="someone stands in for the holder from START to END")
    override.add_argument("service")
    override.add_argument("role")
    override.add_argument("person", help='"Display Name <id> [email]"')
    override.add_argument("start", help="ISO 8601, e.g. 2026-12-01T09:00:00Z")
    override.add_argument("end")
    override.add_argument("--reason")
    check = actions.add_parser("check", help="single points of failure (exit status 1 when there are some)")
    check.add_argument("--at", help="ISO 8601 instant to check as of")
    importing = actions.add_parser("import", help="replace the roster of the services in a CSV file (all or nothing)")
    importing.add_argument("file")
    actions.add_parser("export", help="the whole roster as CSV on stdout (what import reads)")
    roster.set_defaults(run=_run)
