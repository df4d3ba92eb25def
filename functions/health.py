"""GET /api/health: is the app configured, and can it reach Table Storage?"""

from __future__ import annotations

import azure.functions as func

from functions.http_errors import error_response, json_response
from incident.errors import ConfigurationError

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
    body = {
        "status": "ok" if reachable else "degraded",
        "configuration": "ok",
        "storage": {"reachable": reachable, "detail": detail},
    }
    return json_response(body, 200 if reachable else 503)
