"""Posting alert fixtures to POST /api/alerts/{source} as each sender would, with its secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import azure.functions as func

from tests.functions.conftest import built_function

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "alerts"
SECRETS = {"azure-monitor": "azure-secret-0123456789", "alertmanager": "alertmanager-secret-0123",
           "grafana": "grafana-secret-0123456789", "generic": "generic-secret-0123456789"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def signed(source: str, body: bytes, secret: str = "") -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query parameters) carrying ``source``'s secret the way its sender can."""
    secret = secret or SECRETS[source]
    if source == "azure-monitor":
        return {}, {"token": secret}
    if source == "generic":
        return {"X-Devopsbot-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}, {}
    return {"Authorization": f"Bearer {secret}"}, {}


def alert_request(source: str, body: bytes, *, headers: dict[str, str] | None = None,
                  params: dict[str, str] | None = None) -> func.HttpRequest:
    return func.HttpRequest(method="POST", url=f"http://127.0.0.1/api/alerts/{source}", headers=headers or {},
                            params=params or {}, route_params={"source": source}, body=body)


async def post(source: str, body: bytes | dict[str, Any], *, secret: str = "") -> func.HttpResponse:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    headers, params = signed(source, raw, secret)
    response: func.HttpResponse = await built_function("alerts_in")(alert_request(source, raw, headers=headers,
                                                                                  params=params))
    return response


def basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"grafana:{password}".encode()).decode()


def answer(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())
