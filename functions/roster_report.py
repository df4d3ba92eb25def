"""The weekly roster check: the single-point-of-failure report mailed to the admin team, Mondays 08:00 by default
(DEVOPSBOT_ROSTER_REPORT_SCHEDULE)."""

from __future__ import annotations

import logging
import os

import azure.functions as func

from devopsbot.report_schedule import roster_report_schedule

log = logging.getLogger(__name__)
blueprint = func.Blueprint()


# use_monitor: a restart after a missed Monday still sends that week's report once.
@blueprint.timer_trigger(schedule=roster_report_schedule(os.environ), arg_name="timer", run_on_startup=False,
                         use_monitor=True)
async def roster_report(timer: func.TimerRequest) -> None:
    from devopsbot.bootstrap import get_container
    from services.roster_service import send_weekly_report

    container = get_container()
    deps = container.dependencies
    sent = await send_weekly_report(deps.roster, deps.policy, deps.mailer, deps.idempotency,
                                    container.teams_setup.admin_team, container.clock.now())
    log.info("roster report %s", "sent to the admin team" if sent else "not sent (see above, or sent already)")
