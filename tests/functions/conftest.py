"""Trigger tests call the functions registered in function_app directly, without a host."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import azure.functions as func
import pytest

from devopsbot import bootstrap
from devopsbot.bootstrap import Container


def built_function(name: str) -> Callable[..., Any]:
    from devopsbot.local_host import registered_functions
    from function_app import app

    for function in registered_functions(app):
        if function.get_function_name() == name:
            return function.get_user_function()
    raise LookupError(name)


def request(method: str, route: str, body: bytes | dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> func.HttpRequest:
    raw = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
    return func.HttpRequest(method=method, url=f"http://127.0.0.1/api/{route}", headers=headers or {},
                            params={}, route_params={}, body=raw)


@pytest.fixture
def installed(memory_container: Container) -> Iterator[Container]:
    """Make ``memory_container`` the process-wide container the functions use."""
    bootstrap.reset_container(memory_container)
    yield memory_container
    bootstrap.reset_container(None)


def teams_message(text: str, *, conversation: str = "team-id;messageid=1", tenant: str = "tenant-1",
                  activity_id: str = "act-1", expect_replies: bool = True) -> dict[str, Any]:
    """A Teams-shaped channel message mentioning the bot."""
    activity: dict[str, Any] = {
        "type": "message", "id": activity_id, "channelId": "msteams",
        "serviceUrl": "http://127.0.0.1:9/_connector", "timestamp": "2026-11-27T10:00:00Z",
        "from": {"id": "29:alice", "name": "Alice Martin", "aadObjectId": "aad-alice"},
        "recipient": {"id": "28:devopsbot", "name": "devopsbot"},
        "conversation": {"id": conversation, "conversationType": "channel", "tenantId": tenant},
        "text": f"<at>devopsbot</at> {text}",
        "entities": [{"type": "mention", "text": "<at>devopsbot</at>",
                      "mentioned": {"id": "28:devopsbot", "name": "devopsbot"}}],
        "channelData": {"tenant": {"id": tenant}, "team": {"id": "team-id"}},
        "locale": "en-US",
    }
    if expect_replies:
        activity["deliveryMode"] = "expectReplies"
    return activity
