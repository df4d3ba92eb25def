"""POST /api/alerts/{source}: alerts in from Azure Monitor, Alertmanager, Grafana or the generic JSON.

Two locks: the function key (like every endpoint but Teams' and the pages'), and each source's own shared
secret, compared in constant time. A source without a secret refuses everything (fail closed). Azure Monitor
action groups cannot send headers, so theirs is the ``token`` query parameter; Alertmanager and Grafana send
a bearer token (Grafana also basic auth, the password being the secret); the generic source signs the body
(``X-Devopsbot-Signature: sha256=<hex HMAC-SHA256 of the body>``). A refusal is 401 and an audit count.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import azure.functions as func

from functions.http_errors import error_response, json_response
from incident.signals import SOURCES

blueprint = func.Blueprint()

MAX_BODY = 512 * 1024  # as services.alert_payloads.MAX_BODY (not imported here: pydantic stays out of cold start)
SIGNATURE_HEADER = "X-Devopsbot-Signature"


def _equal(given: str, secret: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


def credential_problem(source: str, secret: str, req: func.HttpRequest, body: bytes) -> str:
    """Why the request does not carry the source's secret ("" when it does)."""
    if not secret:
        return "no secret is configured for this source"
    if source == "azure-monitor":
        token = req.params.get("token", "")
        return "" if token and _equal(token, secret) else ("missing token" if not token else "wrong token")
    if source == "generic":
        given = req.headers.get(SIGNATURE_HEADER, "").strip()
        if not given:
            return "missing signature"
        expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        return "" if _equal(given.lower(), expected) else "wrong signature"
    scheme, _, value = req.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and value:
        return "" if _equal(value.strip(), secret) else "wrong token"
    if scheme.lower() == "basic" and value and source == "grafana":
        try:
            password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return "unreadable basic credentials"
        return "" if _equal(password, secret) else "wrong password"
    return "missing bearer token"


@blueprint.route(route="alerts/{source}", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def alerts_in(req: func.HttpRequest) -> func.HttpResponse:
    source = req.route_params.get("source", "")
    if source not in SOURCES:
        return json_response({"error": f"unknown alert source '{source}' (known: {', '.join(SOURCES)})"}, 404)
    declared = req.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > MAX_BODY:
        return json_response({"error": f"the body is larger than {MAX_BODY} bytes"}, 413)
    body = req.get_body()
    if len(body) > MAX_BODY:
        return json_response({"error": f"the body is larger than {MAX_BODY} bytes"}, 413)
    from devopsbot.bootstrap import get_container
    from services.alert_intake import ingest
    from services.alert_payloads import MalformedAlert
    from services.ports import AuditRecord
    from services.telemetry_ports import ALERTS_REFUSED, telemetry
    from services.tracing_ports import traced

    try:
        container = get_container()
        problem = credential_problem(source, dict(container.settings.alert_secrets).get(source, ""), req, body)
        deps = container.dependencies
        if problem:
            telemetry().count(ALERTS_REFUSED, {"source": source})
            if deps.audit is not None:
                await deps.audit.count(AuditRecord(deps.clock.now(), "alert_refused",
                                                   {"source": source, "problem": problem}))
            return json_response({"error": f"not accepted: {problem}"}, 401)
        with traced("alert in", attributes={"devopsbot.source": source}):
            async with container.bus.answering():
                taken = await ingest(container.bus, source, body)
    except MalformedAlert as error:
        return json_response({"error": str(error)}, 400)
    except Exception as error:
        return error_response(error)
    return json_response({"signals": [
        {"state": t.state, "outcome": t.outcome, "incident": t.incident_id, "repeat": t.repeat,
         "deliveries": t.deliveries} for t in taken]}, 202)
