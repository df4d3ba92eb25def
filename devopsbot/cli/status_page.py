"""``python -m devopsbot status maintenance add|list|cancel``: scheduled maintenance on the public status page,
as ``maintenance`` does in Teams. Without ``--as`` the operator (who holds the storage keys) acts with full
authority; with it, with exactly that person's rights.

Nothing heavy is imported at module level: the CLI's parser is built on every start.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any


def _run(args: argparse.Namespace) -> int:
    from devopsbot.cli.common import actor, on_behalf, with_container
    from incident.maintenance import (
        CancelMaintenance,
        ScheduleMaintenance,
        instant,
        utc_text,
        window_id,
    )
    from services.maintenance import current_windows

    async def work(container: Any) -> int:
        bus, action = container.bus, args.maintenance_action
        if action == "add":
            window = await bus.handle(ScheduleMaintenance(
                title=args.title, description=args.description or "", components=tuple(args.components.split(",")),
                starts_at=instant(args.start), ends_at=instant(args.end), actor=actor(args.actor),
                enforce_roles=on_behalf(args)))
            print(f"Maintenance {window.id} scheduled: {window.title}, from {utc_text(window.starts_at)} to "
                  f"{utc_text(window.ends_at)} UTC ({', '.join(window.components)}).")
        elif action == "cancel":
            window = await bus.handle(CancelMaintenance(window_id(args.id), actor(args.actor),
                                                        enforce_roles=on_behalf(args)))
            print(f"Maintenance {window.id} ({window.title}) cancelled.")
        else:
            now = container.clock.now()
            windows = await current_windows(container.dependencies)
            for w in windows:
                print(f"{w.id}  {w.state(now):<11}  {utc_text(w.starts_at)} → {utc_text(w.ends_at)}  "
                      f"{','.join(w.components)}  {w.title}")
            if not windows:
                print("No maintenance is scheduled or in progress.")
        return 0

    return asyncio.run(with_container(work))


def add_maintenance(commands: Any) -> None:
    """``status maintenance …``, added to the ``status`` command of devopsbot/cli/status.py."""
    maintenance = commands.add_parser("maintenance", help="scheduled maintenance shown on the status page")
    actions = maintenance.add_subparsers(dest="maintenance_action", required=True)
    add = actions.add_parser("add", help="schedule a window: the page shows it, then flips at its start and end")
    add.add_argument("start", help="ISO 8601, e.g. 2026-12-05T22:00Z (without a zone: UTC)")
    add.add_argument("end")
    add.add_argument("components", help="the services worked on, comma-separated (e.g. checkout,payments)")
    add.add_argument("title", help="the public title")
    add.add_argument("--description", help="the public description")
    actions.add_parser("list", help="the windows scheduled or in progress")
    cancel = actions.add_parser("cancel", help="before it starts: off the page; during it: it ends now")
    cancel.add_argument("id", help="MNT-…")
    maintenance.set_defaults(run=_run)
