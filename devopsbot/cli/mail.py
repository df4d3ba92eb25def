"""CLI for the email path: ingest a message by hand, poll the incidents mailbox, and Teams' health flag.

``teams down`` is what an admin runs when Teams itself is out: from then on every notification goes
by email until ``teams up`` (failures also mark Teams down on their own, until they age out).
``teams home`` shows the home team and the teams devopsbot knows; ``teams home --team ID`` chooses it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from devopsbot.cli import common


def register(sub: Any) -> None:
    email = sub.add_parser("email", help="the email path: ingest a message, poll the incidents mailbox")
    actions = email.add_subparsers(dest="email_action", required=True)
    ingest = actions.add_parser("ingest", help="act on one message (.eml) as if it reached the incidents mailbox")
    ingest.add_argument("file", type=Path)
    actions.add_parser("poll", help="handle what arrived in the incidents mailbox (Graph) since the last poll")
    email.set_defaults(run=_email_command)

    teams = sub.add_parser("teams", help="whether Teams is usable; when it is down, email carries everything")
    teams_actions = teams.add_subparsers(dest="teams_action", required=True)
    teams_actions.add_parser("status", help="the admin flag and recent connector failures")
    down = teams_actions.add_parser("down", help="mark Teams down: notifications go by email until 'teams up'")
    down.add_argument("--reason", required=True)
    teams_actions.add_parser("up", help="clear the flag: Teams is tried again")
    home = teams_actions.add_parser("home", help="the home team (where incidents declared outside a team open); "
                                                 "--team chooses it")
    home.add_argument("--team", help="the Teams team id to make home (one devopsbot has been used in)")
    teams.add_argument("--as", dest="actor", help='who is acting, as "Display Name <id>"')
    teams.set_defaults(run=_teams_command)


def _email_command(args: argparse.Namespace) -> int:
    from incident.errors import ConfigurationError

    async def work(container: Any) -> int:
        from services.inbound_mail import ingest, poll

        if args.email_action == "ingest":
            from adapters.inbound_sources import parse_eml

            try:
                message = parse_eml(args.file.read_bytes())
            except OSError as error:
                raise ConfigurationError("email ingest", str(args.file), error.strerror or str(error)) from None
            except ValueError as error:
                raise ConfigurationError("email ingest", str(args.file), str(error)) from None
            handled = [await ingest(container.bus, message, container.directory,
                                    own_address=container.settings.mail_from)]
        else:
            if container.mailbox is None:
                raise ConfigurationError("settings", "DEVOPSBOT_INBOUND_MAILBOX",
                                         "no incidents mailbox is configured (it also needs DEVOPSBOT_GRAPH_AUTH)")
            handled = await poll(container.bus, container.mailbox, container.directory,
                                 own_address=container.settings.mail_from)
        await container.bus.drain()
        for outcome in handled:
            print(json.dumps({"outcome": outcome.outcome.value, "incident": outcome.incident_id,
                              "reply": outcome.reply}))
        return 0

    return asyncio.run(common.with_container(work))


def _teams_command(args: argparse.Namespace) -> int:
    async def work(container: Any) -> int:
        health = container.dependencies.health
        now = container.clock.now()
        actor = common.actor(args.actor)
        if args.teams_action == "home":
            return await _home(container, args.team, actor, now)
        if args.teams_action == "down":
            await health.set_down(now, actor.name, args.reason)
        elif args.teams_action == "up":
            await health.set_up(now, actor.name)
        status = await health.status(now)
        state = "down" if status.down else "up"
        detail = f": {status.reason}" if status.reason else ""
        by = f" (set by {status.set_by}, issue {status.issue})" if status.issue else " (set by an admin)"
        print(f"Teams is {state}{by if status.manual else ''}{detail}; "
              f"{status.recent_failures} recent connector failures")
        return 0

    return asyncio.run(common.with_container(work))


async def _home(container: Any, team_id: str | None, actor: Any, now: Any) -> int:
    from services import home_team

    conversations = container.dependencies.conversations
    if team_id:
        await home_team.choose_home(conversations, team_id, actor, now)
    record = await home_team.home_team(conversations)
    if record is None:
        print("home team: none yet (mention devopsbot once in a team's incidents channel)")
    elif record.get("chosen_by"):
        print(f"home team: {home_team.team_label(record)}, chosen by {record['chosen_by']} at {record['chosen_at']}")
    else:
        print(f"home team: {home_team.team_label(record)}, the first team devopsbot was used in (none chosen)")
    for known in (await home_team.known_teams(conversations)).values():
        print(f"known team: {home_team.team_label(known)}")
    return 0
