"""``python -m devopsbot status``: the status page's email subscribers (list, count) and removing an address;
``status maintenance`` is devopsbot/cli/status_page.py.

Nothing heavy is imported at module level: the CLI imports this module to build its parser.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from devopsbot.cli.common import with_container
from devopsbot.cli.status_page import add_maintenance

OFF_EXIT = 2


def register(sub: Any) -> None:
    status = sub.add_parser("status", help="the public status page: email subscribers and scheduled maintenance",
                            description="Subscribers of the status page's components (double opt-in from the page) "
                                        "and scheduled maintenance shown on the page.")
    status.add_argument("--as", dest="actor", help='who is acting, as "Display Name <id>" (maintenance)')
    commands = status.add_subparsers(dest="status_command", required=True)
    add_maintenance(commands)
    listing = commands.add_parser("subscribers", help="list the subscribers, confirmed and pending")
    listing.add_argument("--component", help="only this component's (a key of [organisation] services)")
    listing.add_argument("--count", action="store_true", help="only the numbers, confirmed and pending")
    listing.add_argument("--json", action="store_true", help="one JSON object per subscription")
    listing.set_defaults(run=run_subscribers)
    remove = commands.add_parser("unsubscribe", help="remove every subscription of an email address")
    remove.add_argument("email")
    remove.set_defaults(run=run_unsubscribe)


def _store(container: Any) -> Any:
    publishing = container.dependencies.status_page
    store = publishing.subscriptions if publishing is not None else None
    if store is None:
        print("devopsbot: error: subscriptions are off: set DEVOPSBOT_ACTION_LINK_KEY to sign their links",
              file=sys.stderr)
    return store


def run_subscribers(args: argparse.Namespace) -> int:
    async def work(container: Any) -> int:
        store = _store(container)
        if store is None:
            return OFF_EXIT
        if args.component and args.component not in container.dependencies.policy.services:
            print(f"devopsbot: error: --component: {args.component!r} is not one of the organisation's services",
                  file=sys.stderr)
            return OFF_EXIT
        found = await (store.of_component(args.component) if args.component else store.every())
        found.sort(key=lambda s: (s.component, s.address))
        confirmed = sum(1 for s in found if s.confirmed)
        if args.count:
            print(f"{confirmed} confirmed, {len(found) - confirmed} pending")
            return 0
        for s in found:
            if args.json:
                print(json.dumps({"component": s.component, "email": s.address, "confirmed": s.confirmed,
                                  "language": s.language}, ensure_ascii=False))
            else:
                print(f"{s.component:16}  {'confirmed' if s.confirmed else 'pending':9}  {s.language}  {s.address}")
        if not found and not args.json:
            print("No subscribers.")
        return 0

    return asyncio.run(with_container(work))


def run_unsubscribe(args: argparse.Namespace) -> int:
    async def work(container: Any) -> int:
        from services.subscriptions import remove_address

        store = _store(container)
        if store is None:
            return OFF_EXIT
        removed = await remove_address(store, args.email)
        print(f"Removed {removed} subscription{'s' if removed != 1 else ''} of {args.email.strip().lower()}.")
        return 0

    return asyncio.run(with_container(work))
