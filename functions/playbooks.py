"""GET /api/playbooks/{service}/{version}: one playbook version as Markdown; ``current`` is the approved,
unexpired version, which is what incident cards link to.

Like the incident documents, it sits behind App Service Authentication in Azure: with authentication on,
only a caller a verifiable source names (functions.signed_in) gets it. The Markdown is served as plain text, so
nothing in it runs in a browser.
"""

from __future__ import annotations

import azure.functions as func

from functions.http_errors import error_response, json_response
from functions.signed_in import sign_in_missing

blueprint = func.Blueprint()


@blueprint.route(route="playbooks/{service}/{version}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def playbook_version(req: func.HttpRequest) -> func.HttpResponse:
    from devopsbot.bootstrap import get_container
    from services import playbooks

    text = req.route_params.get("version", "")
    if not text.isdigit() and text != "current":
        return json_response({"error": "the version is a number or 'current', like /api/playbooks/checkout/3"}, 400)
    try:
        container = get_container()
        if (refused := await sign_in_missing(req, container)) is not None:
            return refused
        service = req.route_params.get("service", "")
        found = await (playbooks.current(container.dependencies, service) if text == "current" else
                       playbooks.show(container.dependencies, service, int(text)))
    except Exception as error:
        return error_response(error)
    v = found.version
    header = (f"<!-- {v.service} v{v.version}: {found.state.value}, owner {v.owner}, "
              f"last tested {v.last_tested.isoformat()} -->\n")
    return func.HttpResponse(header + v.text, status_code=200, mimetype="text/plain", charset="utf-8",
                             headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})
