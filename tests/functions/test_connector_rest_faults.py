"""Proactive Teams calls made directly (bot/connector_rest.py) fail and are retried as they were through
botbuilder: throttling waited out, refusals not retried, a connection the server dropped unanswered resent
once, a timeout never resent by the call itself, a Teams that does not answer bounded in time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import aiohttp.web
import pytest

from bot import teams_connector
from bot.connector_rest import ConnectorRest
from bot.endpoint import BotIdentity, build_adapter
from bot.references import reference_from_dict
from bot.teams_connector import TeamsConnector
from incident.errors import NotificationFailed
from tests.functions.test_connector_rest import home_of
from tests.support.connector import ConnectorDouble, running_connector
from tests.support.processes import serving
from tests.unit.test_stale_connection_retry import server

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Checkout failing"}]}


@pytest.fixture
async def teams() -> AsyncIterator[TeamsConnector]:
    adapter = build_adapter(BotIdentity())
    connector = TeamsConnector(adapter=lambda: adapter, app_id="")
    yield connector
    await connector.aclose()


@pytest.fixture
async def double() -> AsyncIterator[ConnectorDouble]:
    async with running_connector() as started:
        yield started


async def send(teams: TeamsConnector, service_url: str) -> str:
    return await teams.send(reference_from_dict(home_of(service_url)), TeamsConnector.card_activity(CARD))


@pytest.mark.parametrize("status", [412, 429, 502, 504])
async def test_what_teams_asks_to_retry_is_retried_after_its_retry_after(
        teams: TeamsConnector, double: ConnectorDouble, status: int) -> None:
    double.failures, double.retry_after = [status, status], "0"
    assert await send(teams, double.url) == "1000"
    assert double.failures == [] and double.requests == 3 and len(double.messages()) == 1


async def test_a_retry_after_is_waited_out(teams: TeamsConnector, double: ConnectorDouble) -> None:
    double.failures, double.retry_after = [429], "0.6"
    loop = asyncio.get_running_loop()
    started = loop.time()
    await send(teams, double.url)
    assert loop.time() - started >= 0.6
    assert len(double.messages()) == 1


@pytest.mark.parametrize(("status", "refused"), [(400, True), (403, True), (404, True), (500, False)])
async def test_a_refusal_or_a_server_error_fails_at_once_and_says_which(
        teams: TeamsConnector, double: ConnectorDouble, status: int, refused: bool) -> None:
    double.failures = [status]
    with pytest.raises(NotificationFailed, match=f"Teams answered {status}") as failed:
        await send(teams, double.url)
    assert failed.value.refused is refused
    assert double.requests == 1 and double.sent == []


async def test_a_post_the_server_hung_up_on_unanswered_is_sent_again_once(teams: TeamsConnector) -> None:
    with server(["close", "answer"]) as (url, received):
        assert await send(teams, url.removesuffix("/v3/conversations/c/activities")) == "1"
    assert len(received) == 2 and all(r.startswith(b"POST /v3/conversations/") for r in received)


async def test_a_server_hanging_up_again_is_retried_after_a_pause(teams: TeamsConnector) -> None:
    with server(["close", "close", "answer"]) as (url, received):
        assert await send(teams, url.removesuffix("/v3/conversations/c/activities")) == "1"
    assert len(received) == 3


async def test_a_server_hanging_up_twice_is_not_resent_by_the_call_itself() -> None:
    adapter = build_adapter(BotIdentity())
    rest = ConnectorRest(lambda: adapter, "")
    try:
        with server(["close", "close", "answer"]) as (url, received), pytest.raises(aiohttp.ClientError):
            await rest.send(reference_from_dict(home_of(url.removesuffix("/v3/conversations/c/activities"))),
                            TeamsConnector.card_activity(CARD))
        assert len(received) == 2
    finally:
        await rest.close()


async def test_a_post_that_timed_out_is_not_resent_by_the_call_itself() -> None:
    adapter = build_adapter(BotIdentity())
    rest = ConnectorRest(lambda: adapter, "")
    try:
        with server(["silent", "answer"]) as (url, received):
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(rest.send(reference_from_dict(home_of(
                    url.removesuffix("/v3/conversations/c/activities"))), TeamsConnector.card_activity(CARD)), 0.5)
            await asyncio.sleep(0.2)
        assert len(received) == 1
    finally:
        await rest.close()


async def test_teams_not_answering_fails_within_the_call_timeout_and_retries(
        teams: TeamsConnector, double: ConnectorDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teams_connector, "CALL_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(teams_connector, "ATTEMPTS", 2)
    double.hang()
    try:
        with pytest.raises(NotificationFailed, match="unreachable") as failed:
            await send(teams, double.url)
    finally:
        double.release()
    assert not failed.value.refused and double.requests == 2


async def test_a_refused_connection_is_retried_then_said_unreachable(
        teams: TeamsConnector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teams_connector, "ATTEMPTS", 2)
    with server([]) as (url, _):
        closed = url.removesuffix("/v3/conversations/c/activities")
    with pytest.raises(NotificationFailed, match="unreachable") as failed:
        await send(teams, closed)  # the listener is closed: connection refused
    assert not failed.value.refused


async def test_calls_share_one_session_and_its_connections_until_closed(
        teams: TeamsConnector, double: ConnectorDouble) -> None:
    for _ in range(5):
        await send(teams, double.url)
    assert double.requests == 5 and len(double.connections) == 1
    session = teams._rest._session
    await teams.aclose()
    assert session is not None and session.closed


@pytest.mark.parametrize("status", [500, 503, 408])
async def test_an_update_is_retried_on_a_server_error_as_msrest_retried_it_and_a_send_is_not(
        teams: TeamsConnector, double: ConnectorDouble, status: int) -> None:
    reference = reference_from_dict(home_of(double.url))
    double.failures = [status, status]
    await teams.update(reference, "1000", TeamsConnector.card_activity(CARD))
    assert double.failures == [] and len(double.messages("update")) == 1
    double.failures = [status]
    with pytest.raises(NotificationFailed, match=f"Teams answered {status}"):
        await send(teams, double.url)
    assert double.messages() == []


async def test_a_proxy_set_in_the_environment_carries_the_calls_as_it_did_through_msrest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """msrest (requests) honoured HTTP(S)_PROXY; a host that reaches Teams only through a proxy still does."""
    seen: list[str] = []

    async def proxy(request: aiohttp.web.Request) -> aiohttp.web.Response:
        seen.append(f"{request.method} {request.url}")
        return aiohttp.web.json_response({"id": "posted-through-the-proxy"})

    application = aiohttp.web.Application()
    application.router.add_route("*", "/{tail:.*}", proxy)
    async with serving(application) as proxy_url:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        adapter = build_adapter(BotIdentity())
        connector = TeamsConnector(adapter=lambda: adapter, app_id="")
        try:
            assert await send(connector, "http://teams.invalid/") == "posted-through-the-proxy"
        finally:
            await connector.aclose()
    assert len(seen) == 1 and seen[0].startswith("POST http://teams.invalid/v3/conversations/")
