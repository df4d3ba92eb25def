"""``python -m devopsbot assess ...``: an incident's risk assessment by hand, as Teams' assessment cards do it —
ask people, answer, reveal once the deadline passed, accept or override the proposal."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from devopsbot.cli import common


def register(sub: Any) -> None:
    assess = sub.add_parser("assess", help="an incident's independent risk assessment: request, answer, reveal, "
                                           "accept, override")
    assess.add_argument("--as", dest="actor", help='who is acting, as "Display Name <id>"')
    assess.add_argument("--json", action="store_true", help="print JSON")
    actions = assess.add_subparsers(dest="assess_action", required=True)
    request = actions.add_parser("request", help="ask people for their blind assessment (managers only)")
    request.add_argument("id")
    request.add_argument("assessor", nargs="+", help='each as "Display Name <id>"')
    request.add_argument("--minutes", type=int, help="the deadline (default: the organisation's)")
    answer = actions.add_parser("answer", help="give your own assessment (you must have been asked)")
    answer.add_argument("id")
    answer.add_argument("--likelihood", required=True, help="a likelihood level of the risk matrix")
    answer.add_argument("--impact", required=True, help="an impact level of the risk matrix")
    answer.add_argument("--rating", action="append", default=[], metavar="CRITERION=VALUE",
                        help="a priority criterion's rating (repeat for each criterion)")
    answer.add_argument("--comment", default="")
    actions.add_parser("reveal", help="reveal what is in, once the deadline has passed").add_argument("id")
    actions.add_parser("accept", help="accept the revealed proposal (the commander)").add_argument("id")
    override = actions.add_parser("override", help="set another severity and priority, with the reason")
    override.add_argument("id")
    override.add_argument("--severity", required=True)
    override.add_argument("--priority", required=True)
    override.add_argument("--reason", required=True)
    assess.set_defaults(run=_assess_command)


def _ratings(given: list[str]) -> dict[str, float]:
    ratings: dict[str, float] = {}
    for text in given:
        name, sep, value = text.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            ratings[name.strip()] = float(value)
        except ValueError:
            raise SystemExit(f"devopsbot: error: --rating {text!r}: write CRITERION=NUMBER, e.g. "
                             "--rating customers=7") from None
    return ratings


def _command(args: argparse.Namespace, incident: Any, actor: Any) -> Any:
    from incident import commands
    from incident.errors import InvalidValue

    action, enforce = args.assess_action, common.on_behalf(args)
    if action == "request":
        return commands.RequestAssessment(incident.id, tuple(common.actor(a) for a in args.assessor), actor,
                                          args.minutes, enforce_roles=enforce)
    if incident.assessment is None:
        raise InvalidValue("assessment", f"{incident.id} has no risk assessment yet: ask with 'assess request'")
    number = incident.assessment.round
    if action == "answer":
        return commands.AnswerAssessment(incident.id, number, args.likelihood, args.impact,
                                         _ratings(args.rating), actor, args.comment)
    if action == "reveal":
        return commands.RevealAssessment(incident.id, number)
    if action == "accept":
        return commands.DecideAssessment(incident.id, number, True, actor, enforce_roles=enforce)
    return commands.DecideAssessment(incident.id, number, False, actor, severity=args.severity,
                                     priority=args.priority, reason=args.reason, enforce_roles=enforce)


def _summary(incident: Any) -> dict[str, Any]:
    """What the assessment shows everyone: who was asked and who answered, never an answer before the reveal."""
    found = incident.assessment
    if found is None:
        return {"id": incident.id, "assessment": None}
    outcome = found.outcome
    return {"id": incident.id, "round": found.round, "deadline": found.deadline.isoformat(),
            "asked": [p.name for p in found.assessors], "answered": len(found.answers),
            "revealed": found.revealed_at is not None,
            "proposal": ({"risk": outcome.level, "severity": outcome.severity, "priority": outcome.priority}
                         if outcome is not None else None),
            "decision": found.decision or None, "severity": incident.severity, "priority": incident.priority}


def _assess_command(args: argparse.Namespace) -> int:
    from incident.access import Action, require
    from incident.ids import parse_incident_id

    actor = common.actor(args.actor)

    async def work(container: Any) -> int:
        incident = await container.dependencies.incidents.get(parse_incident_id(args.id))
        if common.on_behalf(args):
            require(incident, Action.SEE, actor, container.policy.admins)
        done = await container.bus.handle(_command(args, incident, actor))
        summary = _summary(done)
        if args.json:
            print(json.dumps(summary, indent=2))
            return 0
        print(f"{summary['id']}: risk assessment #{summary.get('round')}, {summary.get('answered', 0)} of "
              f"{len(summary.get('asked', []))} answered"
              + (f", revealed: {summary['proposal']}" if summary.get("revealed") else "")
              + (f", {summary['decision']}" if summary.get("decision") else ""))
        return 0

    return asyncio.run(common.with_container(work))
