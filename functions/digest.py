"""The weekly leadership digest: Mondays 08:00 by default (DEVOPSBOT_DIGEST_SCHEDULE)."""

from __future__ import annotations

import logging
import os

import azure.functions as func

from devopsbot.settings import digest_schedule

log = logging.getLogger(__name__)
blueprint = func.Blueprint()


@blueprint.timer_trigger(schedule=digest_schedule(os.environ), arg_name="timer", run_on_startup=False,
                         use_monitor=True)
async def weekly_digest(timer: func.TimerRequest) -> None:
    from devopsbot.bootstrap import get_container
    from devopsbot.weekly_digest import send_weekly_digest

    outcome = await send_weekly_digest(get_container())
    if outcome.sent:
        log.info("weekly digest: posted to %s: %s; mailed to %d address(es)", outcome.channel or "-",
                 outcome.posted, len(outcome.mailed_to))
    else:
        log.info("weekly digest: already sent this week")
