"""``python -m devopsbot report``: incident metrics for a period, as Markdown or JSON.

Nothing heavy is imported at module level: the CLI imports this module to build its parser.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

DATE_HELP = "a date (YYYY-MM-DD, midnight UTC) or an ISO 8601 instant"
BAD_INPUT_EXIT = 2  # like argparse's own usage errors


class BadPeriod(ValueError):
    """The period the user asked for cannot be read; the message is the one line they see."""


def parse_moment(option: str, text: str) -> datetime:
    """``2026-10-01`` is midnight UTC that day; an instant without a zone is taken as UTC."""
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d")
            return day.replace(tzinfo=UTC)
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadPeriod(f"{option}: '{text}' is not a date like 2026-10-01 (or an ISO 8601 instant "
                        "like 2026-10-01T09:00:00Z)") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def register(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="incident metrics for a period: counts, response times, completion, weekly trend",
        description="Metrics for the incidents declared in [--since, --until). The JSON output is the "
                    "stable contract devopsbot.report/1 (see services/report_views.py and the README).")
    report.add_argument("--since", required=True, help=f"start of the period, included: {DATE_HELP}")
    report.add_argument("--until", help=f"end of the period, excluded (default: now): {DATE_HELP}")
    report.add_argument("--format", choices=("md", "json"), default="md", help="Markdown (default) or JSON")
    report.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        since = parse_moment("--since", args.since)
        until = parse_moment("--until", args.until) if args.until else None
        if until is not None:
            check_order(since, until)
    except BadPeriod as error:
        print(f"devopsbot: error: {error}", file=sys.stderr)
        return BAD_INPUT_EXIT
    return asyncio.run(_report(since, until, args.format))


def check_order(since: datetime, until: datetime) -> None:
    if until <= since:
        raise BadPeriod(f"--until ({until:%Y-%m-%dT%H:%M:%SZ}) must come after --since ({since:%Y-%m-%dT%H:%M:%SZ})")


async def _report(since: datetime, until: datetime | None, output: str) -> int:
    from devopsbot.bootstrap import get_container
    from services.report_views import report_json, report_markdown
    from services.reporting import build_report

    container = get_container()
    try:
        end = until or container.clock.now()
        try:
            check_order(since, end)  # --since in the future
        except BadPeriod as error:
            print(f"devopsbot: error: {error}", file=sys.stderr)
            return BAD_INPUT_EXIT
        report = await build_report(container.dependencies, since, end)
    finally:
        await container.aclose()
    if output == "json":
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        print(report_markdown(report), end="")
    return 0
