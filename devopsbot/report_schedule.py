"""The weekly roster report's timer schedule, from DEVOPSBOT_ROSTER_REPORT_SCHEDULE (Mondays 08:00 by default)."""

from __future__ import annotations

from collections.abc import Mapping

from devopsbot.settings import _schedule

# Mondays at 08:00 (UTC, or WEBSITE_TIME_ZONE): people fix the roster during the week, before it matters.
DEFAULT_ROSTER_REPORT_SCHEDULE = "0 0 8 * * 1"


def roster_report_schedule(environ: Mapping[str, str]) -> str:
    """The roster report's schedule; a bad one stops start-up, naming the setting."""
    return _schedule(environ, "DEVOPSBOT_ROSTER_REPORT_SCHEDULE", DEFAULT_ROSTER_REPORT_SCHEDULE)
