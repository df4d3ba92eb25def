"""Bot Connector clients are made once per service URL and their connections reused (bot/connector_cost.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botframework.connector.auth import ClaimsIdentity

from bot import connector_cost
from bot.connector_cost import ReusedConnectors
from bot.endpoint import _AdapterConfiguration
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from tests.functions.conftest import built_function, request, teams_invoke
from tests.support.connector import ConnectorDouble


async def send(body: dict[str, Any]) -> dict[str, Any]:
    response = await built_function("messages")(request("POST", "messages", body))
    await bootstrap.get_container().bus.drain()
    assert response.status_code == 200
    return dict(json.loads(response.get_body()))


async def test_calls_to_teams_one_after_another_share_connections(installed: Container,
                                                                  connector: ConnectorDouble) -> None:
    from tests.functions.test_teams_conversation import declared_id, form

    incident_id = declared_id(await send(teams_invoke("declare.submit", form())))
    for n in range(6):
        await send(teams_invoke("incident.update", {"incident_id": incident_id, "text": f"update {n}"}))
    assert connector.requests >= 12  # the space, the announcement, card refreshes: each its own call
    # The client's session keeps its connections open for the next call, instead of one connection per
    # call as when every call built its own client.
    assert len(connector.connections) <= connector.requests // 3, (len(connector.connections), connector.requests)


async def test_one_client_per_service_url_and_audience_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connector_cost, "MAX_CLIENTS", 3)
    authentication = ReusedConnectors(_AdapterConfiguration("", "", "MultiTenant", ""))
    anonymous = ClaimsIdentity({}, True)
    factory = authentication.create_connector_factory(anonymous)
    first = await factory.create("http://127.0.0.1:9/a/", "")
    assert await authentication.create_connector_factory(anonymous).create("http://127.0.0.1:9/a/", "") is first
    other = await factory.create("http://127.0.0.1:9/b/", "")
    assert other is not first
    assert await factory.create("http://127.0.0.1:9/a/", "other-audience") is not first
    assert await factory.create("http://127.0.0.1:9/a/", "") is first  # b is now the least recently used
    await factory.create("http://127.0.0.1:9/c/", "")  # a fourth: b goes
    assert await factory.create("http://127.0.0.1:9/a/", "") is first
    assert await factory.create("http://127.0.0.1:9/b/", "") is not other
    tokens = await authentication.create_user_token_client(anonymous)
    assert await authentication.create_user_token_client(anonymous) is tokens
