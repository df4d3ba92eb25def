"""GET /api/incidents/{id}/document?format=md|html: the incident document, as a download.

In Azure, the caller is named by a source the app can verify (functions.signed_in: App Service
Authentication's sign-in on a path it protects, or an Entra ID token); only a caller who may see the incident
gets its document. Locally (no bot app id configured) the documents are open, except a private (security)
incident's, which is never served to someone who is not one of its people or an incident admin.
"""

from __future__ import annotations

import re
from typing import Any

import azure.functions as func

from functions.http_errors import error_response, json_response
from functions.signed_in import SIGN_IN_REQUIRED, caller
from incident.ids import parse_incident_id
from incident.model import Incident, Person

blueprint = func.Blueprint()
def may_read(incident: Incident, person: Person, admins: tuple[str, ...]) -> bool:
    """``Incident.may_see`` by Teams id, and by Entra object id (what the web sign-in gives)."""
    if incident.may_see(person, admins):
        return True
    people = (incident.declared_by, *incident.roles.values(), *incident.invitees)
    return any(p.aad_id and p.aad_id == person.aad_id for p in people)


def _filename(incident_id: str, document_format: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "_", incident_id) + f"-document.{document_format}"


@blueprint.route(route="incidents/{id}/document", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def incident_document(req: func.HttpRequest) -> func.HttpResponse:
    from adapters.documents import FORMATS, content_type, render_document
    from devopsbot.bootstrap import get_container
    from services.document_language import LANGUAGES
    from services.incident_document import build_document

    document_format = (req.params.get("format") or "html").lower()
    if document_format not in FORMATS:
        return json_response({"error": f"format must be one of {', '.join(FORMATS)}"}, 400)
    language = (req.params.get("language") or "").lower()[:8]
    if language not in ("", *LANGUAGES):
        return json_response({"error": f"language must be one of {', '.join(LANGUAGES)}"}, 400)
    try:
        incident_id = parse_incident_id(req.route_params.get("id", ""))
        container = get_container()
        person = await caller(req, container)
        signed_in_required = container.settings.authentication_enabled
        if signed_in_required and person is None:
            return json_response({"error": SIGN_IN_REQUIRED}, 401)
        deps = container.dependencies
        incident = await deps.incidents.get(incident_id)
        # A refusal looks like absence: nobody learns that a private incident exists.
        if (incident.private or signed_in_required) and (
                person is None or not may_read(incident, person, container.policy.admins)):
            return json_response({"error": f"no incident {incident_id}"}, 404)
        timeline = await deps.incidents.timeline(incident_id)
        language = language or incident.language  # the incident's own language unless the reader asks
        document = build_document(incident, timeline, container.policy, deps.clock.now(), language)
        body = render_document(document, document_format, language)
    except Exception as error:
        return error_response(error)
    headers: dict[str, Any] = {
        "Content-Disposition": f'attachment; filename="{_filename(incident_id, document_format)}"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        # The document is data: no script runs in it, even opened from the download.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    }
    mimetype, _, _ = content_type(document_format).partition(";")
    return func.HttpResponse(body, status_code=200, mimetype=mimetype, charset="utf-8", headers=headers)
