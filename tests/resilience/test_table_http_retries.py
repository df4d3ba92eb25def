"""The lean table client (adapters/table_http.py) retries as azure-core's policy does and fails as its transport
does, against a local double of Table Storage that answers 503, hangs or refuses connections: so storage
outages still end as StorageUnavailable within the configured bounds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from adapters.table_http import LeanTableClient
from adapters.table_http_auth import BearerToken, SharedKey
from adapters.table_http_transport import TableAccount
from adapters.table_storage import storage_errors
from devopsbot.bootstrap import PROXY_VARIABLES, STORAGE_CLIENT_OPTIONS, Container
from devopsbot.settings import Settings
from incident.errors import StorageUnavailable
from incident.policy import OrganisationPolicy
from tests.support.processes import free_port, serving

KEY = "a2V5"
OPTIONS = {"connection_timeout": 0.5, "read_timeout": 0.3, "retry_total": 2, "retry_backoff_factor": 0.01,
           "retry_backoff_max": 0.05, "use_env_settings": False}
ENTITY = b'{"PartitionKey":"p","RowKey":"r","odata.etag":"W/\\"1\\""}'


class Double:
    """Answers ``failures`` requests with ``status`` (or hangs them when status is 0), then 200/202."""

    def __init__(self) -> None:
        self.status, self.failures = 503, 0
        self.failure_headers: dict[str, str] = {}
        self.seen: list[str] = []
        self.authorizations: list[str] = []
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(f"{request.method} {request.path}")
        self.authorizations.append(request.headers.get("Authorization", ""))
        if self.failures:
            self.failures -= 1
            if not self.status:
                await self.release.wait()
            return web.Response(status=self.status or 503, reason="Server Busy",
                                headers={"x-ms-error-code": "ServerBusy", **self.failure_headers}, text="busy")
        if request.method == "POST":
            return web.Response(status=202, headers={"Content-Type": "multipart/mixed; boundary=b"},
                                body=b"--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n"
                                     b"ETag: W/\"2\"\r\n\r\n\r\n--b--\r\n")
        return web.Response(status=200, body=ENTITY, content_type="application/json")


@pytest.fixture
async def double() -> AsyncIterator[tuple[Double, LeanTableClient]]:
    double = Double()
    application = web.Application()
    application.router.add_route("*", "/{tail:.*}", double.handle)
    async with serving(application) as url:
        account = TableAccount(f"{url}/acct", SharedKey("acct", KEY), OPTIONS)
        try:
            yield double, LeanTableClient(account, "things")
        finally:
            double.release.set()
            await account.close()


async def test_503s_are_retried_up_to_retry_total_then_the_answer_raises(double: tuple[Double, Any]) -> None:
    server, table = double
    server.failures = 2
    assert (await table.get_entity("p", "r"))["RowKey"] == "r"
    assert len(server.seen) == 3
    server.seen.clear()
    server.failures = 3
    with pytest.raises(HttpResponseError) as refused:
        await table.get_entity("p", "r")
    assert refused.value.status_code == 503 and len(server.seen) == 3


async def test_a_call_asking_for_no_retries_is_sent_once(double: tuple[Double, Any]) -> None:
    server, table = double
    server.failures = 1
    with pytest.raises(HttpResponseError):
        await table.get_entity("p", "r", retry_total=0)
    assert len(server.seen) == 1


async def test_a_transaction_is_retried_on_503_but_not_on_other_5xx(double: tuple[Double, Any]) -> None:
    server, table = double
    server.failures = 1
    assert await table.submit_transaction([("upsert", {"PartitionKey": "p", "RowKey": "r"})]) == [{"etag": 'W/"2"'}]
    assert len(server.seen) == 2
    server.seen.clear()
    server.status, server.failures = 502, 1
    with pytest.raises(HttpResponseError):
        await table.submit_transaction([("upsert", {"PartitionKey": "p", "RowKey": "r"})])
    assert len(server.seen) == 1


async def test_a_hung_read_times_out_is_retried_for_gets_and_never_for_posts(double: tuple[Double, Any]) -> None:
    server, table = double
    server.status, server.failures = 0, 3
    with pytest.raises(ServiceResponseError):
        await table.get_entity("p", "r")
    assert len(server.seen) == 3
    server.seen.clear()
    server.failures = 1
    with pytest.raises(ServiceResponseError):
        await table.create_entity({"PartitionKey": "p", "RowKey": "r"})
    assert len(server.seen) == 1


async def test_a_refused_connection_is_storage_unavailable() -> None:
    account = TableAccount(f"http://127.0.0.1:{free_port()}/acct", SharedKey("acct", KEY), OPTIONS)
    table = LeanTableClient(account, "things")
    with pytest.raises(ServiceRequestError):
        await table.get_entity("p", "r")
    with pytest.raises(StorageUnavailable, match="Table Storage is unreachable while reading: ServiceRequestError"):
        async with storage_errors("reading"):
            await table.upsert_entity({"PartitionKey": "p", "RowKey": "r"})
    await account.close()


async def test_the_apps_entity_client_runs_with_the_bounded_storage_options(policy: OrganisationPolicy) -> None:
    container = Container(Settings(storage_connection_string="UseDevelopmentStorage=true"), policy=policy)
    account = container.store.account
    assert account is not None and isinstance(account.signer, SharedKey)
    assert (account.retry_total, account.backoff_factor, account.backoff_max) == (
        STORAGE_CLIENT_OPTIONS["retry_total"], STORAGE_CLIENT_OPTIONS["retry_backoff_factor"],
        STORAGE_CLIENT_OPTIONS["retry_backoff_max"])
    assert (account.connection_timeout, account.read_timeout) == (STORAGE_CLIENT_OPTIONS["connection_timeout"],
                                                                   STORAGE_CLIENT_OPTIONS["read_timeout"])
    assert account.base_url == "http://127.0.0.1:10002/devstoreaccount1"
    await container.aclose()


@pytest.mark.parametrize(("proxy", "reads_environment"), [("", False), ("http://proxy.contoso.example:3128", True)])
async def test_the_entity_client_reads_proxy_settings_only_when_a_proxy_is_set(
        monkeypatch: pytest.MonkeyPatch, policy: OrganisationPolicy, proxy: str, reads_environment: bool) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
    container = Container(Settings(storage_connection_string="UseDevelopmentStorage=true"), policy=policy)
    assert container.store.account is not None and container.store.account.trust_env is reads_environment
    await container.aclose()


class Tokens:
    """An async TokenCredential that counts what it was asked."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self.scopes: list[str] = []

    async def get_token(self, scope: str) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scope)
        return AccessToken(f"token-{len(self.scopes)}", int(time.time() + self.lifetime))


async def test_the_managed_identitys_token_is_fetched_once_and_again_five_minutes_before_it_expires() -> None:
    long_lived, short_lived = Tokens(3600), Tokens(200)
    headers: dict[str, str] = {}
    for tokens, expected in ((long_lived, ["token-1", "token-1"]), (short_lived, ["token-1", "token-2"])):
        signer = BearerToken(tokens)
        seen = []
        for _ in range(2):
            await signer.authorize("GET", "/t()", headers)
            seen.append(headers["Authorization"].removeprefix("Bearer "))
        assert seen == expected
        assert set(tokens.scopes) == {"https://storage.azure.com/.default"}


async def test_azure_storage_entities_are_signed_with_the_managed_identity_on_the_account_url(
        policy: OrganisationPolicy) -> None:
    container = Container(Settings(storage_account_url="https://contoso.table.core.windows.net",
                                   storage_client_id="11111111-2222-3333-4444-555555555555"), policy=policy)
    account = container.store.account
    assert account is not None and isinstance(account.signer, BearerToken)
    assert account.base_url == "https://contoso.table.core.windows.net"
    await container.aclose()


async def test_a_refusal_401_is_not_retried_and_says_to_check_the_credentials(double: tuple[Double, Any]) -> None:
    server, table = double
    server.status, server.failures = 401, 1
    with pytest.raises(StorageUnavailable) as refused:
        async with storage_errors("reading a row"):
            await table.get_entity("p", "r")
    assert str(refused.value) == ("Table Storage refused access while reading a row (401): check the connection "
                                  "string's key or the managed identity's role")
    assert len(server.seen) == 1


@pytest.mark.parametrize("header", [{"Retry-After": "0"}, {"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"}])
async def test_a_transaction_answered_429_with_retry_after_is_sent_again_as_azure_core_does(
        double: tuple[Double, Any], header: dict[str, str]) -> None:
    """azure-core retries any method when the service says when to ask again: it did not act on the request."""
    server, table = double
    server.status, server.failures, server.failure_headers = 429, 1, header
    assert await table.submit_transaction([("upsert", {"PartitionKey": "p", "RowKey": "r"})]) == [{"etag": 'W/"2"'}]
    assert server.seen == ["POST /acct/$batch"] * 2
    server.seen.clear()
    server.failure_headers = {}
    server.failures = 1
    with pytest.raises(HttpResponseError):  # without Retry-After a 429 to a POST is not retried
        await table.submit_transaction([("upsert", {"PartitionKey": "p", "RowKey": "r"})])
    assert len(server.seen) == 1


async def test_a_managed_identity_token_refused_401_is_fetched_again_and_the_request_sent_once_more() -> None:
    double = Double()
    application = web.Application()
    application.router.add_route("*", "/{tail:.*}", double.handle)
    tokens = Tokens(3600)
    async with serving(application) as url:
        account = TableAccount(f"{url}/acct", BearerToken(tokens), OPTIONS)
        try:
            double.status, double.failures = 401, 1
            assert (await LeanTableClient(account, "things").get_entity("p", "r"))["RowKey"] == "r"
            assert double.authorizations == ["Bearer token-1", "Bearer token-2"]
            double.status, double.failures = 401, 2  # refused again with the new token: refused, not a loop
            double.authorizations.clear()
            with pytest.raises(HttpResponseError) as refused:
                await LeanTableClient(account, "things").get_entity("p", "r")
            assert refused.value.status_code == 401 and len(double.authorizations) == 2
        finally:
            await account.close()


def test_one_account_serves_one_event_loop_after_another() -> None:
    """A CLI command or a test may run several event loops in turn on one container: each gets a session."""
    double = Double()

    async def read_once(url: str, account: TableAccount) -> str:
        return str((await LeanTableClient(account, "things").get_entity("p", "r"))["RowKey"])

    async def main() -> None:
        application = web.Application()
        application.router.add_route("*", "/{tail:.*}", double.handle)
        async with serving(application) as url:
            account = TableAccount(f"{url}/acct", SharedKey("acct", KEY), OPTIONS)
            loop = asyncio.new_event_loop()
            try:
                first = await asyncio.to_thread(loop.run_until_complete, read_once(url, account))
                assert first == "r" and await read_once(url, account) == "r"
                await asyncio.to_thread(loop.run_until_complete, account.close())
            finally:
                loop.close()
                await account.close()

    asyncio.run(main())
