"""GET /api/health tells whether the app is configured and storage reachable."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.functions.conftest import built_function, request


@pytest.fixture
def reset() -> Iterator[None]:
    yield
    bootstrap.reset_container(None)


async def test_health_is_ok_with_reachable_storage(azurite_container: Container, reset: None) -> None:
    bootstrap.reset_container(azurite_container)
    response = await built_function("health")(request("GET", "health"))
    assert response.status_code == 200
    assert json.loads(response.get_body()) == {
        "status": "ok", "configuration": "ok", "storage": {"reachable": True, "detail": "reachable"},
        "teams": {"down": False, "set_by_admin": False, "reason": "", "recent_failures": 0,
                  "marked_down_by": None}}


async def test_health_reports_unreachable_storage_as_503(policy: OrganisationPolicy, reset: None) -> None:
    from devopsbot.local.stack import azurite_connection_string
    from tests.support.processes import free_port

    container = Container(Settings(storage_connection_string=azurite_connection_string(free_port())),
                          policy=policy)
    bootstrap.reset_container(container)
    response = await built_function("health")(request("GET", "health"))
    body = json.loads(response.get_body())
    assert response.status_code == 503
    assert body["status"] == "degraded" and body["storage"]["reachable"] is False
    assert "unreachable" in body["storage"]["detail"]
    await container.aclose()


async def test_health_names_a_configuration_mistake(monkeypatch: pytest.MonkeyPatch, reset: None) -> None:
    bootstrap.reset_container(None)
    monkeypatch.setenv("DEVOPSBOT_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")
    monkeypatch.setenv("DEVOPSBOT_TABEL_PREFIX", "oops")
    response = await built_function("health")(request("GET", "health"))
    body = json.loads(response.get_body())
    assert response.status_code == 503
    assert body == {"status": "misconfigured", "configuration":
                    "settings: DEVOPSBOT_TABEL_PREFIX: unknown setting; did you mean DEVOPSBOT_TABLE_PREFIX?"}


async def test_health_reports_refused_storage_credentials_as_503(azurite: str, policy: OrganisationPolicy,
                                                                 reset: None) -> None:
    wrong_key = azurite.replace("AccountKey=Eby8", "AccountKey=AAAA")
    container = Container(Settings(storage_connection_string=wrong_key), policy=policy)
    bootstrap.reset_container(container)
    response = await built_function("health")(request("GET", "health"))
    body = json.loads(response.get_body())
    assert response.status_code == 503
    assert "refused access" in body["storage"]["detail"]
    await container.aclose()
