"""GET /api/health: is the app configured, and can it reach Table Storage? Optional features switched off
because their settings could not be read are listed, with why, without making the app unhealthy.

For probes: GET /api/health/live says the process answers (no I/O at all); GET /api/health/ready says it can
do its work: configured, storage reachable, and the due-work timer ticked within TICK_STALE_AFTER (when it
has ticked at all). Teams being marked down is reported, not a reason to be unready: email takes over."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.http_errors import error_response, json_response
from incident.errors import ConfigurationError
from services.ports import TeamsStatus

blueprint = func.Blueprint()
log = logging.getLogger(__name__)


@blueprint.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    from devopsbot.bootstrap import get_container

    try:
        container = get_container()
    except ConfigurationError as error:
        return json_response({"status": "misconfigured", "configuration": str(error)}, 503)
    except Exception as error:
        return error_response(error)
    reachable, detail = await container.storage_reachable()
    body: dict[str, object] = {
        "status": "ok" if reachable else "degraded",
        "configuration": "ok",
        "storage": {"reachable": reachable, "detail": detail},
    }
    if container.settings.switched_off:
        body["switched_off"] = dict(container.settings.switched_off)
    health_flag = container.dependencies.health
    if reachable and health_flag is not None:  # Teams being down is not the app being unhealthy: email takes over
        teams = await health_flag.status(container.clock.now())
        body["teams"] = {"down": teams.down, "set_by_admin": teams.manual and not teams.issue, "reason": teams.reason,
                         "recent_failures": teams.recent_failures, "marked_down_by": _marked_down_by(teams)}
    return json_response(body, 200 if reachable else 503)


@blueprint.route(route="health/live", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def health_live(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"status": "live"}, 200)


@blueprint.route(route="health/ready", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def health_ready(req: func.HttpRequest) -> func.HttpResponse:
    from devopsbot.bootstrap import get_container
    from incident.errors import DevopsbotError
    from services.heartbeat import TICK_STALE_AFTER, last_tick

    try:
        container = get_container()
    except ConfigurationError as error:
        return json_response({"status": "not ready", "configuration": str(error)}, 503)
    except Exception as error:
        return error_response(error)
    reachable, detail = await container.storage_reachable()
    now = container.clock.now()
    body: dict[str, object] = {"configuration": "ok", "storage": {"reachable": reachable, "detail": detail}}
    ticked, stale = None, False
    state, health_flag = container.dependencies.state, container.dependencies.health
    if reachable:
        try:
            ticked = await last_tick(state) if state is not None else None
            teams = await health_flag.status(now) if health_flag is not None else None
        except Exception as error:  # storage went away (or lost its tables) between the probe and the reads
            log.warning("readiness: storage reads failed: %s", error)
            reachable, teams = False, None
            detail = str(error) if isinstance(error, DevopsbotError) else f"reading failed ({type(error).__name__})"
            body["storage"] = {"reachable": False, "detail": detail}
        if teams is not None:
            body["teams"] = {"down": teams.down, "marked_down_by": _marked_down_by(teams)}
    if ticked is not None:
        stale = now - ticked > TICK_STALE_AFTER
    body["timer"] = {"last_tick": ticked.isoformat() if ticked else None,
                     "age_seconds": int((now - ticked).total_seconds()) if ticked else None, "stale": stale}
    ready = reachable and not stale
    body = {"status": "ready" if ready else "not ready", **body}
    return json_response(body, 200 if ready else 503)


def _marked_down_by(teams: TeamsStatus) -> dict[str, str] | None:
    """What marked Teams down: a person (by name), Microsoft 365 service health (with the issue), or failures."""
    if not teams.down:
        return None
    if teams.issue:
        return {"kind": "service_health", "issue": teams.issue}
    if teams.manual:
        return {"kind": "person", "name": teams.set_by}
    return {"kind": "failures"}
