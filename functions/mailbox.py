"""The incidents-mailbox timer: on the due-work schedule, handle mail that arrived (when email in is on)."""

from __future__ import annotations

import logging
import os

import azure.functions as func

from devopsbot.settings import timer_schedule

log = logging.getLogger(__name__)
blueprint = func.Blueprint()


@blueprint.timer_trigger(schedule=timer_schedule(os.environ), arg_name="timer", run_on_startup=False,
                         use_monitor=True)
async def incoming_mail(timer: func.TimerRequest) -> None:
    from devopsbot.bootstrap import get_container
    from services.inbound_mail import poll

    container = get_container()
    if container.mailbox is None:
        return
    handled = await poll(container.bus, container.mailbox, container.directory,
                         own_address=container.settings.mail_from)
    await container.bus.drain()
    if handled:
        log.info("incoming mail: %s", ", ".join(f"{h.outcome.value} {h.incident_id}".strip() for h in handled))
