"""``python -m devopsbot postmortem ...``: the postmortem, its follow-ups, the incident document and closing,
by hand. An operator at the CLI acts with full authority (as with ``incident``), overrides included."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from devopsbot.cli import common

SECTION_OPTIONS = {"summary": "summary", "impact": "impact", "went_well": "went-well",
                   "went_wrong": "went-wrong", "got_lucky": "got-lucky"}


def _person(text: str, email: str | None) -> Any:
    from dataclasses import replace

    person = common.actor(text)
    return replace(person, email=email.strip()) if email else person


def _due(text: str | None) -> Any:
    """A date (end of that day, UTC) or an ISO instant; None: the severity's default."""
    from datetime import UTC, datetime, time

    from incident.instants import parse_instant

    if not text:
        return None
    if len(text) == 10:
        try:
            return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(23, 59), tzinfo=UTC)
        except ValueError:
            pass
    return parse_instant(text, "--due")


def _command(args: argparse.Namespace, incident_id: str, actor: Any) -> Any:
    from incident import postmortem_commands as pc

    action = args.postmortem_action
    enforce = common.on_behalf(args)  # --as: that person's rights; without it, the operator's full authority
    if action == "edit":
        sections = {key: value for key in SECTION_OPTIONS if (value := getattr(args, key)) is not None}
        factors = tuple(args.factor) if args.factor is not None else None
        return pc.EditPostmortem(incident_id, actor, sections, factors, enforce_roles=enforce)
    if action == "owner":
        return pc.AssignPostmortemOwner(incident_id, _person(args.person, args.email), actor, enforce_roles=enforce)
    if action == "complete":
        return pc.CompletePostmortem(incident_id, actor, enforce_roles=enforce)
    if action == "reopen":
        return pc.ReopenPostmortem(incident_id, args.reason, actor, enforce_roles=enforce)
    if action == "followup":
        return pc.AddFollowUp(incident_id, args.title, _person(args.owner, args.owner_email), actor,
                              due_at=_due(args.due), link=args.link or "", enforce_roles=enforce)
    if action == "done":
        return pc.CompleteFollowUp(incident_id, args.number, actor, enforce_roles=enforce)
    if action == "filed":
        return pc.RecordFollowUpFiled(incident_id, args.number, args.url)
    return pc.CloseIncident(incident_id, actor, args.override or "", enforce_roles=enforce)


def _print(incident: Any, as_json: bool) -> None:
    pm = incident.postmortem
    follow_ups = [{"number": f.number, "title": f.title, "owner": f.owner.name, "due": f.due_at.isoformat(),
                   "link": f.link, "tracker_url": f.tracker_url, "filed": f.is_filed, "done": f.is_done}
                  for f in incident.follow_ups]
    if as_json:
        print(json.dumps({
            "id": incident.id, "status": incident.status.value,
            "postmortem": None if pm is None else {
                "owner": pm.owner.name, "due": pm.due_at.isoformat(), "completed": pm.is_complete,
                "summary": pm.summary, "impact": pm.impact, "went_well": pm.went_well,
                "went_wrong": pm.went_wrong, "got_lucky": pm.got_lucky,
                "contributing_factors": list(pm.contributing_factors)},
            "follow_ups": follow_ups}, indent=2))
        return
    from incident.postmortem import SECTIONS

    print(f"{incident.id}  status {incident.status}")
    if pm is None:
        print("  no postmortem (not required, or not resolved yet)")
    else:
        state = f"completed {pm.completed_at:%Y-%m-%d %H:%M} UTC" if pm.completed_at else "in progress"
        print(f"  postmortem: {state}; owner {pm.owner}; due {pm.due_at:%Y-%m-%d %H:%M} UTC")
        for key, heading in SECTIONS.items():
            print(f"  {heading}: {pm.section(key) or '(not written)'}")
        for factor in pm.contributing_factors:
            print(f"  contributing factor: {factor}")
    for f in incident.follow_ups:
        state = "done" if f.is_done else "waiting for the tracker" if not f.is_filed else "open"
        where = f.tracker_url or f.link
        print(f"  #{f.number} {f.title} ({f.owner}, due {f.due_at:%Y-%m-%d}, {state}){' ' + where if where else ''}")


def _run(args: argparse.Namespace) -> int:
    from incident.ids import parse_incident_id

    actor = common.actor(args.actor)
    incident_id = parse_incident_id(args.id)

    async def work(container: Any) -> int:
        if args.postmortem_action == "show":
            _print(await container.dependencies.incidents.get(incident_id), args.json)
            return 0
        if args.postmortem_action == "document":
            return await _document(container, incident_id, args)
        incident = await container.bus.handle(_command(args, incident_id, actor))
        _print(incident, args.json)
        return 0

    return asyncio.run(common.with_container(work))


async def _document(container: Any, incident_id: str, args: argparse.Namespace) -> int:
    from adapters.documents import render_document
    from services.incident_document import build_document

    deps = container.dependencies
    incident = await deps.incidents.get(incident_id)
    timeline = await deps.incidents.timeline(incident_id)
    language = args.language or incident.language  # the incident's own language unless asked
    text = render_document(build_document(incident, timeline, container.policy, deps.clock.now(), language),
                           args.format, language)
    if args.output:
        await asyncio.to_thread(Path(args.output).write_text, text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("postmortem", help="the postmortem, its follow-ups, the document, closing")
    parser.add_argument("--as", dest="actor", help='who is acting, as "Display Name <id>"')
    parser.add_argument("--json", action="store_true", help="print JSON")
    actions = parser.add_subparsers(dest="postmortem_action", required=True)
    actions.add_parser("show", help="the postmortem and its follow-ups").add_argument("id")
    edit = actions.add_parser("edit", help="write sections (each option replaces that section)")
    edit.add_argument("id")
    for key, option in SECTION_OPTIONS.items():
        edit.add_argument(f"--{option}", dest=key)
    edit.add_argument("--factor", action="append",
                      help="a contributing factor (repeat; replaces the list): conditions and systems, not people")
    owner = actions.add_parser("owner", help='give the postmortem to someone ("Display Name <id>")')
    owner.add_argument("id")
    owner.add_argument("person")
    owner.add_argument("--email", help="their address, for reminders by email")
    actions.add_parser("complete", help="sign the postmortem off").add_argument("id")
    reopen = actions.add_parser("reopen", help="reopen a completed postmortem")
    reopen.add_argument("id")
    reopen.add_argument("--reason", required=True)
    follow_up = actions.add_parser("followup", help="add a priority-1 follow-up")
    follow_up.add_argument("id")
    follow_up.add_argument("--title", required=True)
    follow_up.add_argument("--owner", required=True, help='"Display Name <id>"')
    follow_up.add_argument("--owner-email", help="their address, for reminders and the tracker")
    follow_up.add_argument("--due", help="YYYY-MM-DD or an ISO instant (default: the severity's follow-up days)")
    follow_up.add_argument("--link", help="where the work is tracked, if not by devopsbot's tracker")
    done = actions.add_parser("done", help="mark a follow-up done")
    done.add_argument("id")
    done.add_argument("number", type=int)
    filed = actions.add_parser("filed", help="record a follow-up filed by hand in the tracker")
    filed.add_argument("id")
    filed.add_argument("number", type=int)
    filed.add_argument("url")
    close = actions.add_parser("close", help="close the incident (postmortem completed, follow-ups filed)")
    close.add_argument("id")
    close.add_argument("--override", metavar="REASON", help="close anyway, and why (kept in the timeline)")
    document = actions.add_parser("document", help="print or write the incident document")
    document.add_argument("id")
    document.add_argument("--format", choices=["md", "html"], default="md")
    document.add_argument("--language", choices=["en", "fr"],
                          help="the document's language (default: the incident's, the declarer's Teams language)")
    document.add_argument("--output", help="write to this file instead of printing")
    parser.set_defaults(run=_run)

    digest = subparsers.add_parser("digest", help="send this week's leadership digest now (Teams card and email)")
    digest.set_defaults(run=_digest)


def _digest(args: argparse.Namespace) -> int:
    from devopsbot.weekly_digest import send_weekly_digest

    async def work(container: Any) -> int:
        outcome = await send_weekly_digest(container)
        if not outcome.sent:
            print("This week's digest was already sent.")
            return 0
        posted = f"posted to '{outcome.channel}'" if outcome.posted else "not posted in Teams (see the log)"
        print(f"digest {posted}; mailed to {', '.join(outcome.mailed_to) or 'nobody'}")
        return 0

    return asyncio.run(common.with_container(work))
