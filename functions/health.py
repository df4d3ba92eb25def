"""GET /api/health: is the app configured, and can it reach Table Storage? Optional features switched off
because their settings could not be read are listed, with why, without making the app unhealthy."""

from __future__ import annotations

import azure.functions as func

from functions.http_errors import error_response, json_response
from incident.errors import ConfigurationError
from services.ports import TeamsStatus

blueprint = func.Blueprint()


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


def _marked_down_by(teams: TeamsStatus) -> dict[str, str] | None:
    """What marked Teams down: a person (by name), Microsoft 365 service health (with the issue), or failures."""
    if not teams.down:
        return None
    if teams.issue:
        return {"kind": "service_health", "issue": teams.issue}
    if teams.manual:
        return {"kind": "person", "name": teams.set_by}
    return {"kind": "failures"}
