"""Who is calling a web page, from a source the app can verify.

Pages for people (dashboard, documents, playbooks) believe an identity from one of two sources:

- an Entra ID bearer token (``Authorization: Bearer``, e.g. from the Teams tab's single sign-on) that the app
  validates itself: signature by the tenant's published keys, the tenant's issuer, the sign-in registration as
  audience, lifetime, and a delegated (person, not app) token;
- App Service Authentication's ``X-MS-CLIENT-PRINCIPAL``, which only the platform can set — so it is believed
  only when the platform says its authentication is on for the app (``WEBSITE_AUTH_ENABLED``) and the path is
  not one it lets through anonymously (``DEVOPSBOT_ANONYMOUS_PATHS``, its excludedPaths). Anywhere else
  anyone can write that header.

Locally (no bot app id, ``make run``) the pages stay open and the header is read as it comes.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import azure.functions as func

from functions.http_errors import json_response
from incident.model import Person

log = logging.getLogger(__name__)

OBJECT_ID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")
NAME_CLAIMS = ("name", "preferred_username", "upn", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name")
SIGN_IN_REQUIRED = "sign in: the page needs App Service Authentication's sign-in or a valid Entra ID token"


async def caller(req: func.HttpRequest, container: Any) -> Person | None:
    """The caller a verifiable source names, or None (nobody, or nobody the app can believe)."""
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    validator = container.page_tokens
    if validator is not None and scheme.lower() == "bearer" and token:
        from adapters.openid_tokens import InvalidToken

        try:
            claims = await validator.claims(token.strip())
        except InvalidToken as error:
            log.warning("refused a page request with an invalid sign-in token (%s)", error)
            return None
        if not claims.get("scp"):  # an application's token names no person
            return None
        return _person({k: v for k, v in claims.items() if isinstance(v, str)})
    settings = container.settings
    if settings.authentication_enabled and not (
            settings.platform_auth_enabled and not left_anonymous(req.url, settings.anonymous_paths)):
        return None
    return _principal(req.headers.get("x-ms-client-principal", ""))


def left_anonymous(url: str, anonymous_paths: tuple[str, ...]) -> bool:
    """Whether App Service Authentication may have let a request for ``url`` through without signing anyone in.
    Read generously (prefixes, case, encoded or dotted segments): a doubt means the header is not believed."""
    raw = urlsplit(url).path
    segments: list[str] = []
    for segment in unquote(raw).split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    candidates = (raw.lower(), "/" + "/".join(segments).lower())
    prefixes = [p.rstrip("*").lower() for p in anonymous_paths]
    return any(path.startswith(prefix) for path in candidates for prefix in prefixes)


def _principal(header: str) -> Person | None:
    """The caller App Service Authentication names in X-MS-CLIENT-PRINCIPAL (base64 JSON of the claims)."""
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
    return _person(claims)


def _person(claims: Mapping[str, str]) -> Person | None:
    object_id = next((claims[c] for c in OBJECT_ID_CLAIMS if claims.get(c)), "")
    if not object_id:
        return None
    name = next((claims[c] for c in NAME_CLAIMS if claims.get(c)), object_id)
    return Person(id=object_id, name=name, aad_id=object_id)


async def sign_in_missing(req: func.HttpRequest, container: Any) -> func.HttpResponse | None:
    """A 401 when the app runs in Azure (a bot app id is configured) and nobody verifiable is calling; else None."""
    if container.settings.authentication_enabled and await caller(req, container) is None:
        return json_response({"error": SIGN_IN_REQUIRED}, 401)
    return None
