"""The HTTP edge of the error hierarchy: one JSON shape, a status code per error, no tracebacks."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from incident.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    DevopsbotError,
    DomainError,
    NotFound,
    NotPermitted,
    StorageUnavailable,
)

log = logging.getLogger(__name__)

# Most specific first: the first class an error is an instance of decides its status.
STATUS_BY_ERROR: tuple[tuple[type[DevopsbotError], int], ...] = (
    (NotPermitted, 403),
    (DomainError, 422),
    (NotFound, 404),
    (ConcurrencyConflict, 409),
    (ConfigurationError, 503),
    (StorageUnavailable, 503),
)


def json_response(body: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json")


def error_response(error: Exception) -> func.HttpResponse:
    """Map an error to its status; anything unexpected is logged in full and answered with 500."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            if status >= 500:
                log.error("%s", error)
            return json_response({"error": str(error)}, status)
    log.exception("unexpected error", exc_info=error)
    return json_response({"error": "internal error; nothing was changed, see the logs"}, 500)


def parse_json_object(req: func.HttpRequest) -> dict[str, Any] | func.HttpResponse:
    """The request's JSON object, or a 400 response naming what is wrong with it."""
    try:
        body = json.loads(req.get_body().decode("utf-8"))
    except UnicodeDecodeError:
        return json_response({"error": "the body is not valid UTF-8"}, 400)
    except ValueError as error:
        return json_response({"error": f"the body is not valid JSON: {error}"}, 400)
    if not isinstance(body, dict):
        return json_response({"error": "the body must be a JSON object"}, 400)
    return body
