"""Trigger tests call the functions registered in function_app directly, without a host."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.support.connector import ConnectorDouble, running_connector


def built_function(name: str) -> Callable[..., Any]:
    from devopsbot.local.host import registered_functions
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


# Where Teams-shaped activities say replies go; the connector fixture points it at its double.
SERVICE = {"url": "http://127.0.0.1:9/_connector"}


@pytest.fixture
async def connector() -> AsyncIterator[ConnectorDouble]:
    async with running_connector() as double:
        SERVICE["url"] = double.url
        yield double
    SERVICE["url"] = "http://127.0.0.1:9/_connector"


@pytest.fixture
def admin_installed(policy: OrganisationPolicy, connector: ConnectorDouble) -> Iterator[Container]:
    """The bot with Alice as an incident admin ([teams] admins)."""
    container = Container(Settings(storage_connection_string="memory"), in_memory=True,
                          clock=FixedClock(datetime(2026, 11, 27, 10, 0, tzinfo=UTC)),
                          policy=replace(policy, admins=("29:alice",)))
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


@pytest.fixture
def installed(memory_container: Container, connector: ConnectorDouble) -> Iterator[Container]:
    """Make ``memory_container`` the process-wide container the functions use."""
    bootstrap.reset_container(memory_container)
    yield memory_container
    bootstrap.reset_container(None)


def teams_invoke(verb: str, data: dict[str, Any], *, conversation: str = "team-id;messageid=1",
                 user: tuple[str, str] = ("29:alice", "Alice Martin"), locale: str = "en-US",
                 activity_id: str = "") -> dict[str, Any]:
    """An Action.Execute click on a card, as Teams sends it."""
    return {
        "type": "invoke", "name": "adaptiveCard/action", "id": activity_id or f"inv-{uuid.uuid4().hex[:8]}",
        "channelId": "msteams", "serviceUrl": SERVICE["url"],
        "from": {"id": user[0], "name": user[1], "aadObjectId": f"aad-{user[0].removeprefix('29:')}"},
        "recipient": {"id": "28:devopsbot", "name": "devopsbot"},
        "conversation": {"id": conversation, "conversationType": "channel", "tenantId": "tenant-1"},
        "channelData": {"tenant": {"id": "tenant-1"}, "team": {"id": "team-id", "aadGroupId": "group-1"}},
        "locale": locale,
        "replyToId": "card-1",
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}},
    }


def teams_message(text: str, *, conversation: str = "team-id;messageid=1", tenant: str = "tenant-1",
                  activity_id: str = "", expect_replies: bool = True,
                  user: tuple[str, str] = ("29:alice", "Alice Martin"), locale: str = "en-US") -> dict[str, Any]:
    """A Teams-shaped channel message mentioning the bot."""
    activity: dict[str, Any] = {
        "type": "message", "id": activity_id or f"act-{uuid.uuid4().hex[:8]}", "channelId": "msteams",
        "serviceUrl": SERVICE["url"], "timestamp": "2026-11-27T10:00:00Z",
        "from": {"id": user[0], "name": user[1], "aadObjectId": f"aad-{user[0].removeprefix('29:')}"},
        "recipient": {"id": "28:devopsbot", "name": "devopsbot"},
        "conversation": {"id": conversation, "conversationType": "channel", "tenantId": tenant},
        "text": f"<at>devopsbot</at> {text}",
        "entities": [{"type": "mention", "text": "<at>devopsbot</at>",
                      "mentioned": {"id": "28:devopsbot", "name": "devopsbot"}}],
        "channelData": {"tenant": {"id": tenant}, "team": {"id": "team-id", "aadGroupId": "group-1"}},
        "locale": locale,
    }
    if expect_replies:
        activity["deliveryMode"] = "expectReplies"
    return activity


def message_action(name: str, message: dict[str, Any] | None, *, data: dict[str, Any] | None = None,
                   conversation: str = "team-id;messageid=1", user: tuple[str, str] = ("29:alice", "Alice Martin"),
                   locale: str = "en-US", command: str = "addToTimeline") -> dict[str, Any]:
    """A message extension action on a message, as Teams sends it: ``composeExtension/fetchTask`` when the
    person picks the action in the message's menu, ``composeExtension/submitAction`` when they submit its dialog
    (``data``: the dialog's inputs). ``message`` is the ``messagePayload`` (see ``teams_message_payload``)."""
    value: dict[str, Any] = {"commandId": command, "commandContext": "message", "context": {"theme": "default"},
                             "requestId": uuid.uuid4().hex}
    if message is not None:
        value["messagePayload"] = message
    if data is not None:
        value["data"] = data
    return {
        "type": "invoke", "name": name, "id": f"f:{uuid.uuid4()}", "channelId": "msteams",
        "serviceUrl": SERVICE["url"],
        "from": {"id": user[0], "name": user[1], "aadObjectId": f"aad-{user[0].removeprefix('29:')}"},
        "recipient": {"id": "28:devopsbot", "name": "devopsbot"},
        "conversation": {"id": conversation, "conversationType": "channel", "tenantId": "tenant-1"},
        "channelData": {"tenant": {"id": "tenant-1"}, "team": {"id": "team-id", "aadGroupId": "group-1"},
                        "source": {"name": "message"}},
        "locale": locale, "value": value,
    }


def teams_message_payload(html: str, *, author: tuple[str, str] = ("aad-bob", "Bob Durand"),
                          created: str = "2026-11-27T09:58:12.345Z", message_id: str = "1764237492345",
                          channel: str = "19:general@thread.tacv2") -> dict[str, Any]:
    """The ``messagePayload`` Teams puts in a message action's invokes: the message as Graph's chatMessage."""
    return {
        "id": message_id, "replyToId": None, "createdDateTime": created, "lastModifiedDateTime": None,
        "deleted": False, "importance": "normal", "locale": "en-us",
        "linkToMessage": f"https://teams.microsoft.com/l/message/{channel}/{message_id}",
        "body": {"contentType": "html", "content": html},
        "from": {"user": {"userIdentityType": "aadUser", "id": author[0], "displayName": author[1]},
                 "application": None, "device": None, "conversation": None},
        "mentions": [], "reactions": [], "attachments": [],
    }
