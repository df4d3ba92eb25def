"""An optional feature whose setting cannot be read is switched off and reported; the core keeps working.

The app is built from the environment, as in Azure, with the action-link key left as App Service leaves a
Key Vault reference it could not resolve."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator

import pytest

from devopsbot import bootstrap
from tests.conftest import unique_prefix
from tests.functions.conftest import built_function, request, teams_message
from tests.functions.test_teams_conversation import send
from tests.support.connector import ConnectorDouble

pytestmark = pytest.mark.azurite

UNRESOLVED = "@Microsoft.KeyVault(SecretUri=https://contoso-kv.vault.azure.net/secrets/action-link-key/)"


@pytest.fixture
async def from_environment(azurite: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """No container handed in: the functions build it from these settings on first use."""
    for name in [n for n in os.environ if n.startswith("DEVOPSBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DEVOPSBOT_STORAGE_CONNECTION_STRING", azurite)
    monkeypatch.setenv("DEVOPSBOT_TABLE_PREFIX", unique_prefix())
    monkeypatch.setenv("DEVOPSBOT_ACTION_LINK_KEY", UNRESOLVED)
    bootstrap.reset_container(None)
    yield
    await bootstrap.get_container().aclose()
    bootstrap.reset_container(None)


async def test_teams_still_answers_with_an_unresolved_action_link_key(from_environment: None,
                                                                      connector: ConnectorDouble) -> None:
    status, body = await send(teams_message("help"))
    assert status == 200
    [reply] = body["activities"]
    assert reply["attachments"]  # the help card


async def test_health_reports_the_action_links_off_with_the_reason(from_environment: None) -> None:
    response = await built_function("health")(request("GET", "health"))
    body = json.loads(response.get_body())
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["switched_off"] == {"action_links": (
        "DEVOPSBOT_ACTION_LINK_KEY: the Key Vault reference was not resolved (App Service left it as written): "
        "check that the secret exists and that the app's identity may read it")}


async def test_the_due_work_timer_still_runs_with_an_unresolved_action_link_key(from_environment: None) -> None:
    from types import SimpleNamespace

    from services.ports import DueItem

    container = bootstrap.get_container()
    await container.dependencies.due_work.schedule(DueItem("no_such_work", "INC-2026-0001", container.clock.now()))
    await built_function("due_work")(SimpleNamespace(past_due=False))
    # The timer ran and took the item (work of an unknown kind is dropped, with a log line).
    assert await container.dependencies.due_work.due(container.clock.now()) == []
