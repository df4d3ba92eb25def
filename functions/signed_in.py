"""Who is calling a web page: in Azure, App Service Authentication (Entra ID) signs people in and names
the caller in ``X-MS-CLIENT-PRINCIPAL``; pages for people (dashboard, documents, playbooks) refuse a
request without it whenever the app runs with a bot identity, as a second line behind the platform's."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import azure.functions as func

from functions.http_errors import json_response
from incident.model import Person

OBJECT_ID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")
NAME_CLAIMS = ("name", "preferred_username", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name")


def caller(req: func.HttpRequest) -> Person | None:
    """The signed-in caller App Service Authentication vouches for, or None (absent or unreadable)."""
    header = req.headers.get("x-ms-client-principal", "")
    if not header:
        return None
    try:
        principal = json.loads(base64.b64decode(header, validate=True))
    except (binascii.Error, ValueError):
        return None
    claims: dict[str, str] = {}
    for claim in principal.get("claims", []) if isinstance(principal, dict) else []:
        if isinstance(claim, dict) and isinstance(claim.get("typ"), str) and isinstance(claim.get("val"), str):
            claims.setdefault(claim["typ"], claim["val"])
    object_id = next((claims[c] for c in OBJECT_ID_CLAIMS if c in claims), "")
    if not object_id:
        return None
    name = next((claims[c] for c in NAME_CLAIMS if c in claims), object_id)
    return Person(id=object_id, name=name, aad_id=object_id)


def sign_in_missing(req: func.HttpRequest, container: Any) -> func.HttpResponse | None:
    """A 401 when the app runs in Azure (a bot app id is configured) and nobody is signed in; else None."""
    if container.settings.authentication_enabled and caller(req) is None:
        return json_response({"error": "sign in: App Service Authentication must name the caller"}, 401)
    return None
