"""The Microsoft 365 service health timer: every 5 minutes by default (DEVOPSBOT_SERVICE_HEALTH_SCHEDULE),
Teams marked down while Microsoft reports it disrupted, and back up when Microsoft resolves it."""

from __future__ import annotations

import logging
import os

import azure.functions as func

from devopsbot.settings import service_health_schedule
from incident.errors import DevopsbotError

log = logging.getLogger(__name__)
blueprint = func.Blueprint()


@blueprint.timer_trigger(schedule=service_health_schedule(os.environ), arg_name="timer", run_on_startup=False,
                         use_monitor=True)
async def teams_service_health(timer: func.TimerRequest) -> None:
    from devopsbot.bootstrap import get_container
    from services.service_health import Admins, watch_teams

    container = get_container()
    announcements = container.service_health
    deps = container.dependencies
    if announcements is None or deps.health is None:
        return  # the container said why, once
    admins = Admins(container.teams_setup.admin_team, deps.mailer, deps.idempotency, deps.policy.language)
    try:
        watched = await watch_teams(announcements, deps.health, admins, container.clock.now())
    except DevopsbotError as error:  # Graph refused (ServiceHealth.Read.All not granted?) or storage failed
        log.warning("Microsoft 365 service health not applied: %s", error)
        return
    if watched.change or watched.told:
        log.info("Microsoft 365 service health: Teams %s for %s; admins told: %s",
                 {"down": "marked down", "up": "marked back up"}.get(watched.change, "unchanged"),
                 watched.issue or "-", ", ".join(watched.told) or "nothing new")
