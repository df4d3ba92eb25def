"""``python -m devopsbot alert``: run one alert payload through the path the endpoints use, and list recent
signals with what became of them.

Nothing heavy is imported at module level: the CLI imports this module to build its parser.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from devopsbot.cli.common import with_container
from devopsbot.cli.report import DATE_HELP, BadPeriod, parse_moment
from incident.signals import SOURCES

BAD_INPUT_EXIT = 2


def register(sub: Any) -> None:
    alert = sub.add_parser("alert", help="alerts in by hand, and the recent signals",
                           description="Alerts: the same path as POST /api/alerts/<source>, without its secret "
                                       "(whoever runs the CLI holds the storage keys anyway).")
    commands = alert.add_subparsers(dest="alert_command", required=True)
    ingest = commands.add_parser("ingest", help="run one payload file through the rules")
    ingest.add_argument("file", type=Path, help="the JSON payload, as the source would POST it")
    ingest.add_argument("--source", required=True, choices=SOURCES)
    ingest.set_defaults(run=run_ingest)
    listing = commands.add_parser("list", help="recent signals and what became of them, oldest first")
    listing.add_argument("--since", help=f"from when (default: 24 hours ago): {DATE_HELP}")
    listing.add_argument("--json", action="store_true", help="one JSON object per signal")
    listing.set_defaults(run=run_list)


def run_ingest(args: argparse.Namespace) -> int:
    from services.alert_payloads import MAX_BODY

    try:
        with args.file.open("rb") as handle:
            body = handle.read(MAX_BODY + 1)
    except OSError as error:
        print(f"devopsbot: error: {args.file}: cannot be read ({error.strerror})", file=sys.stderr)
        return BAD_INPUT_EXIT

    async def work(container: Any) -> int:
        from services.alert_intake import ingest

        for taken in await ingest(container.bus, args.source, body):
            repeat = f" (repeat, {taken.deliveries} deliveries)" if taken.repeat else ""
            print(f"{taken.state:8}  {taken.outcome}{repeat}")
        return 0

    return asyncio.run(with_container(work))


def run_list(args: argparse.Namespace) -> int:
    try:
        since = parse_moment("--since", args.since) if args.since else None
    except BadPeriod as error:
        print(f"devopsbot: error: {error}", file=sys.stderr)
        return BAD_INPUT_EXIT

    async def work(container: Any) -> int:
        deps = container.dependencies
        found = await deps.signals.since(since or deps.clock.now() - timedelta(hours=24))
        for stored in found:
            s = stored.signal
            if args.json:
                print(json.dumps({"received_at": s.received_at.isoformat(), "source": s.source, "state": s.state.value,
                                  "severity": stored.severity, "service": s.service, "summary": s.summary,
                                  "deliveries": stored.deliveries, "outcome": stored.outcome,
                                  "incident": stored.incident_id}, ensure_ascii=False))
            else:
                print(f"{s.received_at:%Y-%m-%d %H:%M:%S}  {s.source:13}  {s.state.value:8}  {stored.severity:5}  "
                      f"{s.service or '-':12}  x{stored.deliveries:<4}  {s.summary}  → {stored.outcome or 'pending'}")
        if not found:
            print("No alerts in that period.")
        return 0

    return asyncio.run(with_container(work))
