"""The lean table client (adapters/table_http.py) retries as azure-core's policy does and fails as its transport
does, against a local double of Table Storage that answers 503, hangs or refuses connections: so storage
outages still end as StorageUnavailable within the configured bounds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from adapters.table_http import LeanTableClient
from adapters.table_http_auth import SharedKey
from adapters.table_http_transport import TableAccount
from adapters.table_storage import storage_errors
from incident.errors import StorageUnavailable
from tests.support.processes import free_port, serving

KEY = "a2V5"
OPTIONS = {"connection_timeout": 0.5, "read_timeout": 0.3, "retry_total": 2, "retry_backoff_factor": 0.01,
           "retry_backoff_max": 0.05, "use_env_settings": False}
ENTITY = b'{"PartitionKey":"p","RowKey":"r","odata.etag":"W/\\"1\\""}'


class Double:
    """Answers ``failures`` requests with ``status`` (or hangs them when status is 0), then 200/202."""

    def __init__(self) -> None:
        self.status, self.failures = 503, 0
        self.seen: list[str] = []
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(f"{request.method} {request.path}")
        if self.failures:
            self.failures -= 1
            if not self.status:
                await self.release.wait()
            return web.Response(status=self.status or 503, reason="Server Busy",
                                headers={"x-ms-error-code": "ServerBusy"}, text="busy")
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
