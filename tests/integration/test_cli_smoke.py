"""`python -m devopsbot smoke --host` against the real local host: a host configured as in Azure passes, and each
check fails when the host is configured the wrong way. The alert check runs against a local double until the alert
endpoints exist in the host."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from devopsbot.local.stack import azurite_connection_string
from devopsbot.settings import ROOT
from tests.conftest import unique_prefix
from tests.support.processes import Service, devopsbot_host, serving, start_azurite

TENANT = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
AS_IN_AZURE = {"DEVOPSBOT_BOT_APP_ID": "0c9a8b7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d", "DEVOPSBOT_BOT_TENANT_ID": TENANT,
               "DEVOPSBOT_BOT_APP_TYPE": "UserAssignedMSI"}


def smoke(host: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_") and k != "AZURE_TENANT_ID"}
    return subprocess.run([sys.executable, "-m", "devopsbot", "smoke", "--host", host, "--wait", "0",
                           "--timeout", "20", *extra], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def verdicts(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """check -> its first verdict (ok, FAIL, skip); notes left out."""
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        verdict, _, rest = line.partition(" ")
        if verdict in ("ok", "FAIL", "skip"):
            found.setdefault(rest.split()[0], verdict)
    return found


def line_of(result: subprocess.CompletedProcess[str], check: str) -> str:
    return next(line for line in result.stdout.splitlines() if line.split()[1:2] == [check])


@pytest.fixture(scope="module")
def azure_like_host(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """Bot Framework authentication on, as the Bicep configures the app: the pages and the bot ask for credentials."""
    with devopsbot_host(tmp_path_factory.mktemp("smoke-azure"), {
            "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix(),
            **AS_IN_AZURE}) as host:
        yield host


@pytest.fixture(scope="module")
def open_host(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """No bot app id: authentication off, as only the local Playground may run."""
    with devopsbot_host(tmp_path_factory.mktemp("smoke-open"), {
            "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix()}) as host:
        yield host


@pytest.mark.azurite
def test_a_host_configured_as_in_azure_passes_the_smoke_test(azure_like_host: Service) -> None:
    result = smoke(f"http://127.0.0.1:{azure_like_host.port}", "--tenant", TENANT)
    assert result.returncode == 0, result.stdout + result.stderr
    found = verdicts(result)
    assert (found["health"], found["dashboard"], found["messages"]) == ("ok", "ok", "ok")
    assert found["alerts"] in ("ok", "skip")  # skip until the alert endpoints are in the host
    assert "refused (401)" in line_of(result, "messages")


@pytest.mark.azurite
def test_with_authentication_off_the_dashboard_check_fails(open_host: Service) -> None:
    result = smoke(f"http://127.0.0.1:{open_host.port}", "--tenant", TENANT)
    assert result.returncode == 1
    assert verdicts(result)["dashboard"] == "FAIL"
    assert "answered an anonymous caller with 200" in line_of(result, "dashboard")


@pytest.mark.azurite
def test_with_authentication_off_the_bot_endpoint_check_fails(open_host: Service) -> None:
    result = smoke(f"http://127.0.0.1:{open_host.port}", "--tenant", TENANT)
    assert result.returncode == 1
    assert verdicts(result)["messages"] == "FAIL"
    assert "Bot Framework authentication is off" in line_of(result, "messages")


@pytest.mark.azurite
def test_a_tenant_refusal_is_not_taken_for_the_token_check(azure_like_host: Service) -> None:
    result = smoke(f"http://127.0.0.1:{azure_like_host.port}", "--tenant", "00000000-0000-0000-0000-000000000bad")
    assert result.returncode == 1
    assert "give --tenant" in line_of(result, "messages")


@pytest.mark.azurite
def test_a_host_that_cannot_reach_its_storage_fails_the_health_check(tmp_path: Path) -> None:
    storage, port = start_azurite(tmp_path / "azurite")
    try:
        with devopsbot_host(tmp_path / "host", {"DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite_connection_string(port),
                                                **AS_IN_AZURE}) as host:
            storage.stop()  # the storage goes away under the running app
            result = smoke(f"http://127.0.0.1:{host.port}", "--tenant", TENANT)
    finally:
        storage.stop()
    assert result.returncode == 1
    assert verdicts(result)["health"] == "FAIL"
    assert "GET /api/health answered 503 (status degraded)" in line_of(result, "health")


def _double(alerts_status: int, dashboard: web.Response | None = None,
            health: dict[str, object] | None = None) -> web.Application:
    """A deployed host from outside: healthy, pages and bot locked; the alert endpoint answers ``alerts_status``."""
    def answer(make: Callable[[], web.Response]) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(_: web.Request) -> web.Response:
            return make()
        return handler

    app = web.Application()
    ready = health or {"status": "ok", "configuration": "ok"}
    app.router.add_get("/api/health", answer(lambda: web.json_response(ready)))
    app.router.add_get("/api/dashboard", answer(lambda: dashboard or web.Response(status=401)))
    app.router.add_post("/api/messages", answer(lambda: web.Response(status=401)))
    app.router.add_post("/api/alerts/generic", answer(lambda: web.Response(status=alerts_status)))
    return app


@pytest.mark.parametrize(("status", "verdict", "exit_status"), [(404, "skip", 0), (401, "ok", 0), (202, "FAIL", 1)])
async def test_the_alert_check_skips_an_undeployed_endpoint_and_fails_an_open_one(
        status: int, verdict: str, exit_status: int) -> None:
    async with serving(_double(status)) as url:
        result = await asyncio.to_thread(smoke, url)
    assert (verdicts(result)["alerts"], result.returncode) == (verdict, exit_status), result.stdout
    if status == 404:
        assert "not deployed yet" in line_of(result, "alerts")


async def test_a_redirect_to_the_sign_in_page_counts_as_a_refusal() -> None:
    to_sign_in = web.Response(status=302,
                              headers={"Location": "/.auth/login/aad?post_login_redirect_uri=/api/dashboard"})
    async with serving(_double(404, dashboard=to_sign_in)) as url:
        result = await asyncio.to_thread(smoke, url)
    assert verdicts(result)["dashboard"] == "ok" and result.returncode == 0


def test_an_empty_host_is_refused_with_the_way_to_find_it() -> None:
    result = smoke("")
    assert result.returncode == 2
    assert "FUNCTION_APP_HOST" in result.stderr


async def test_a_feature_switched_off_is_noted_without_failing_the_deployment() -> None:
    # A first deployment whose action-link key was never created: the bot works, email carries no links.
    reason = "DEVOPSBOT_ACTION_LINK_KEY: the Key Vault reference was not resolved"
    health = {"status": "ok", "configuration": "ok", "switched_off": {"action_links": reason}}
    async with serving(_double(404, health=health)) as url:
        result = await asyncio.to_thread(smoke, url)
    assert result.returncode == 0
    assert f"note health    action links switched off: {reason}" in result.stdout.splitlines()
