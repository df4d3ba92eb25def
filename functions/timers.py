"""The due-work timer: every minute by default, one tick of reminders, escalations and retries."""

from __future__ import annotations

import logging
import os

import azure.functions as func

from devopsbot.settings import timer_schedule

log = logging.getLogger(__name__)
blueprint = func.Blueprint()


# use_monitor: the Functions host records the last run, so a restart catches up once (not per missed run).
@blueprint.timer_trigger(schedule=timer_schedule(os.environ), arg_name="timer", run_on_startup=False,
                         use_monitor=True)
async def due_work(timer: func.TimerRequest) -> None:
    from devopsbot.bootstrap import get_container
    from services.timers import run_tick

    container = get_container()
    report = await run_tick(container.bus, container.clock.now())
    if report.due:
        log.info("due work: %d due, %d done, %d taken by another run, %d failed%s", report.due, report.acted,
                 report.skipped, report.failed, " (past due)" if timer.past_due else "")
