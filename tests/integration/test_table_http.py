"""The lean Table Storage client (adapters/table_http.py) against azure-data-tables' own TableClient on the same
Azurite: the same operations give the same entities (values and Python types), metadata, exceptions, transaction
outcomes and query results, so every repository works unchanged on either."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import EdmType, TableTransactionError, UpdateMode

from adapters.table_http import LeanTableClient, lean_account
from adapters.table_storage import storage_errors
from incident.errors import StorageUnavailable
from tests.conftest import unique_prefix

pytestmark = pytest.mark.azurite


class Pair:
    """The SDK's client and the lean one on one table; ``requests`` are the lean client's, as its hook saw them."""

    def __init__(self, sdk: Any, lean: LeanTableClient, requests: list[tuple[str, str, Any]]) -> None:
        self.sdk, self.lean, self.requests = sdk, lean, requests

    def both(self) -> tuple[Any, Any]:
        return self.sdk, self.lean


@pytest.fixture
async def pair(azurite: str) -> AsyncIterator[Pair]:
    from azure.data.tables.aio import TableServiceClient

    requests: list[tuple[str, str, Any]] = []

    def hook(call: Any) -> None:
        requests.append((call.http_request.method, call.http_request.url, call.http_request.body))

    service = TableServiceClient.from_connection_string(azurite, use_env_settings=False)
    name = unique_prefix() + "equiv"
    await service.create_table(name)
    account = lean_account(service, {"retry_total": 0, "raw_request_hook": hook, "use_env_settings": False})
    assert account is not None
    sdk = service.get_table_client(name)
    try:
        yield Pair(sdk, LeanTableClient(account, name), requests)
    finally:
        await account.close()
        await sdk.close()
        await service.close()


def typed(entity: Any) -> dict[str, Any]:
    """Each value with its Python type (and Edm type where the SDK wraps one): what a repository reads."""
    return {k: (v, type(v).__name__, getattr(v, "edm_type", None)) for k, v in entity.items()}


WHEN = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
ROW = {"Text": "O'Brien — été", "Small": 42, "Negative": -7, "Big": (2**40, EdmType.INT64), "Flag": True,
       "Ratio": 0.25, "At": WHEN, "Blob": b"\x00\x01binary\xff", "Missing": None,
       "Id": uuid.UUID("12345678-1234-5678-1234-567812345678")}


async def test_an_entity_written_by_either_client_reads_back_identically_through_both(pair: Pair) -> None:
    await pair.sdk.create_entity({"PartitionKey": "p", "RowKey": "by-sdk", **ROW})
    await pair.lean.create_entity({"PartitionKey": "p", "RowKey": "by-lean", **ROW})
    for row in ("by-sdk", "by-lean"):
        through_sdk = await pair.sdk.get_entity("p", row)
        through_lean = await pair.lean.get_entity("p", row)
        assert typed(through_lean) == typed(through_sdk)
        assert through_lean.metadata == through_sdk.metadata
        assert type(through_lean.metadata["timestamp"]) is type(through_sdk.metadata["timestamp"])
        assert "Missing" not in through_lean and through_lean["Big"].value == 2**40
        assert through_lean["At"] == WHEN and through_lean["Blob"] == ROW["Blob"]
    assert typed(await pair.lean.get_entity("p", "by-sdk")) == typed(await pair.lean.get_entity("p", "by-lean")) | {
        "RowKey": ("by-sdk", "str", None)}


async def test_keys_with_quotes_spaces_and_unicode_address_the_same_row(pair: Pair) -> None:
    odd = "it's a ~key: é@&+=,;$!*()[]"  # Table Storage forbids / \\ # ? in keys
    await pair.lean.upsert_entity({"PartitionKey": "p'1 é", "RowKey": odd, "V": 1}, mode=UpdateMode.REPLACE)
    found = await pair.sdk.get_entity("p'1 é", odd)
    assert found["V"] == 1 and found["RowKey"] == odd
    await pair.sdk.upsert_entity({"PartitionKey": "p'1 é", "RowKey": odd, "V": 2})
    assert (await pair.lean.get_entity("p'1 é", odd))["V"] == 2
    await pair.lean.delete_entity("p'1 é", odd)
    with pytest.raises(ResourceNotFoundError):
        await pair.sdk.get_entity("p'1 é", odd)


async def test_writes_return_the_sdks_metadata_and_the_etag_a_read_gives(pair: Pair) -> None:
    for client, row in ((pair.sdk, "s"), (pair.lean, "l")):
        created = await client.create_entity({"PartitionKey": "p", "RowKey": row, "V": 1})
        merged = await client.upsert_entity({"PartitionKey": "p", "RowKey": row, "W": 2})
        read = await client.get_entity("p", row)
        replaced = await client.update_entity({**read, "V": 3}, mode=UpdateMode.REPLACE, etag=read.metadata["etag"],
                                              match_condition=MatchConditions.IfNotModified)
        assert created["etag"] != merged["etag"] == read.metadata["etag"]
        assert (await client.get_entity("p", row)).metadata["etag"] == replaced["etag"]
        assert dict(await client.get_entity("p", row)) == {"PartitionKey": "p", "RowKey": row, "V": 3, "W": 2}
        assert set(created) == {"date", "etag", "version", "preference_applied", "content"}
        assert set(merged) == set(replaced) == {"date", "etag", "version"}
        assert all(isinstance(written["date"], datetime) and written["date"].tzinfo
                   for written in (created, merged, replaced))


async def failure(call: Any) -> tuple[type, int | None, str]:
    try:
        await call
    except HttpResponseError as error:
        return type(error), error.status_code, str(getattr(error, "error_code", ""))
    raise AssertionError("no error raised")


async def test_not_found_exists_and_precondition_failed_raise_what_the_sdk_raises(pair: Pair) -> None:
    await pair.sdk.create_entity({"PartitionKey": "p", "RowKey": "r", "V": 1})
    stale = (await pair.sdk.get_entity("p", "r")).metadata["etag"]
    await pair.sdk.upsert_entity({"PartitionKey": "p", "RowKey": "r", "V": 2})
    outcomes = []
    for client in pair.both():
        outcomes.append([
            await failure(client.get_entity("p", "absent")),
            await failure(client.create_entity({"PartitionKey": "p", "RowKey": "r"})),
            await failure(client.update_entity({"PartitionKey": "p", "RowKey": "r"}, mode=UpdateMode.REPLACE,
                                               etag=stale, match_condition=MatchConditions.IfNotModified)),
            await failure(client.delete_entity("p", "r", etag=stale, match_condition=MatchConditions.IfNotModified)),
            await failure(client.update_entity({"PartitionKey": "p", "RowKey": "absent"}, mode=UpdateMode.MERGE)),
            await client.delete_entity("p", "absent"),  # gone already: no error
        ])
    assert outcomes[1] == outcomes[0]
    assert [o[:2] if o else o for o in outcomes[1]] == [
        (ResourceNotFoundError, 404), (ResourceExistsError, 409), (ResourceModifiedError, 412),
        (ResourceModifiedError, 412), (ResourceNotFoundError, 404), None]


async def test_a_transaction_stores_every_row_and_returns_each_rows_etag(pair: Pair) -> None:
    for client, partition in ((pair.sdk, "s"), (pair.lean, "l")):
        await client.create_entity({"PartitionKey": partition, "RowKey": "old", "V": 0})
        read = await client.get_entity(partition, "old")
        results = await client.submit_transaction([
            ("create", {"PartitionKey": partition, "RowKey": "a", "Text": "é'", "At": WHEN}),
            ("upsert", {"PartitionKey": partition, "RowKey": "b", "V": 2}, {"mode": UpdateMode.REPLACE}),
            ("upsert", {"PartitionKey": partition, "RowKey": "c", "V": 3}),
            ("update", {**read, "V": 1}, {"mode": UpdateMode.REPLACE, "etag": read.metadata["etag"],
                                          "match_condition": MatchConditions.IfNotModified}),
        ])
        etags = [(await client.get_entity(partition, row)).metadata["etag"] for row in ("a", "b", "c", "old")]
        assert [r["etag"] for r in results] == etags
        assert (await client.get_entity(partition, "a"))["At"] == WHEN
    assert await pair.lean.submit_transaction([]) == []  # the SDK sends it: Azure answers 400, so it returns []


async def test_a_transaction_refused_at_its_second_operation_writes_nothing_and_says_which(pair: Pair) -> None:
    await pair.sdk.create_entity({"PartitionKey": "p", "RowKey": "taken"})
    seen = []
    for client in pair.both():
        with pytest.raises(TableTransactionError) as refused:
            await client.submit_transaction([("create", {"PartitionKey": "p", "RowKey": "fresh"}),
                                             ("create", {"PartitionKey": "p", "RowKey": "taken"}),
                                             ("upsert", {"PartitionKey": "p", "RowKey": "third"})])
        error = refused.value
        seen.append((type(error), error.status_code, error.reason, str(error.error_code), error.index))
        for row in ("fresh", "third"):
            with pytest.raises(ResourceNotFoundError):
                await client.get_entity("p", row)
    assert seen[1] == seen[0] == (TableTransactionError, 409, "Conflict", "EntityAlreadyExists", 1)


async def test_a_transaction_over_two_partitions_or_past_100_operations_is_refused_before_sending(pair: Pair) -> None:
    two = [("create", {"PartitionKey": "a", "RowKey": "1"}), ("create", {"PartitionKey": "b", "RowKey": "1"})]
    with pytest.raises(ValueError, match="Partition Keys in the batch must all be the same") as by_sdk:
        await pair.sdk.submit_transaction(two)
    with pytest.raises(ValueError, match="Partition Keys") as by_lean:
        await pair.lean.submit_transaction(two)
    assert str(by_lean.value) == str(by_sdk.value)
    with pytest.raises(ValueError, match="at most 100"):
        await pair.lean.submit_transaction([("create", {"PartitionKey": "a", "RowKey": str(n)}) for n in range(101)])
    assert pair.requests == []


async def test_a_query_substitutes_parameters_as_the_sdk_does(pair: Pair) -> None:
    names = ["O'Brien", "Zoë ''quoted''", "plain", "O'Brien"]
    for n, name in enumerate(names):
        await pair.sdk.create_entity({"PartitionKey": "q", "RowKey": f"{n:03d}", "Name": name, "N": n,
                                      "Big": (2**40 + n, EdmType.INT64), "On": n % 2 == 0, "At": WHEN})
    queries: list[tuple[str, dict[str, Any]]] = [
        ("PartitionKey eq @pk and Name eq @name", {"pk": "q", "name": "O'Brien"}),
        ("Name eq @name", {"name": "Zoë ''quoted''"}),
        ("N ge @low and On eq @on and At le @at", {"low": 1, "on": True, "at": WHEN}),
        ("Big gt @big", {"big": 2**40 + 1}),
    ]
    for query, parameters in queries:
        by_sdk = [typed(e) async for e in pair.sdk.query_entities(query, parameters=parameters)]
        by_lean = [typed(e) async for e in pair.lean.query_entities(query, parameters=parameters)]
        assert by_lean == by_sdk and by_lean, query
    assert [e["RowKey"] async for e in pair.lean.query_entities("Name eq @n", parameters={"n": "O'Brien"})] == [
        "000", "003"]


async def test_a_query_follows_continuations_across_pages_with_the_columns_selected(pair: Pair) -> None:
    for n in range(25):
        await pair.sdk.upsert_entity({"PartitionKey": "page", "RowKey": f"{n:03d}", "V": n, "Other": "x"})
    await pair.sdk.upsert_entity({"PartitionKey": "zz", "RowKey": "after", "V": 99})
    query = ("PartitionKey eq @pk", {"pk": "page"})
    by_sdk = [(dict(e), e.metadata) async for e in pair.sdk.query_entities(
        query[0], parameters=query[1], results_per_page=4, select=["RowKey", "V"])]
    pair.requests.clear()
    by_lean = [(dict(e), e.metadata) async for e in pair.lean.query_entities(
        query[0], parameters=query[1], results_per_page=4, select=["RowKey", "V"])]
    assert by_lean == by_sdk and len(by_lean) == 25
    assert by_lean[0][0] == {"RowKey": "000", "V": 0}
    assert len(pair.requests) == 7 and all("%24top=4" in url or "$top=4" in url for _, url, _ in pair.requests)
    listed = [e["RowKey"] async for e in pair.lean.list_entities(results_per_page=10, select="RowKey")]
    assert listed == [e["RowKey"] async for e in pair.sdk.list_entities(results_per_page=10, select="RowKey")]
    assert len(listed) == 26


async def test_refused_credentials_give_the_same_storage_unavailable_sentence(pair: Pair, azurite: str) -> None:
    from azure.data.tables.aio import TableServiceClient

    wrong = TableServiceClient.from_connection_string(azurite.replace("AccountKey=Eby8", "AccountKey=AAAA"),
                                                      use_env_settings=False)
    account = lean_account(wrong, {"retry_total": 0})
    assert account is not None
    sentences = []
    for client in (wrong.get_table_client(pair.sdk.table_name), LeanTableClient(account, pair.sdk.table_name)):
        with pytest.raises(StorageUnavailable) as refused:
            async with storage_errors("reading a row"):
                await client.get_entity("p", "r")
        sentences.append(str(refused.value))
    await account.close()
    await wrong.close()
    assert sentences[1] == sentences[0]
    assert sentences[0].startswith("Table Storage refused access while reading a row (403)")


async def test_each_storage_request_is_a_client_span_naming_the_table_but_no_keys(pair: Pair) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from adapters.otel_telemetry import OpenTelemetryTracer
    from services.tracing_ports import install_tracer, traced

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous = install_tracer(OpenTelemetryTracer(provider.get_tracer("test")))
    try:
        with traced("turn"):
            await pair.lean.upsert_entity({"PartitionKey": "secret-partition", "RowKey": "secret-row", "V": 1})
            await pair.lean.get_entity("secret-partition", "secret-row")
    finally:
        install_tracer(previous)
        provider.shutdown()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    table = pair.lean.table_name
    assert set(spans) == {"turn", f"PATCH {table}", f"GET {table}"}
    get = spans[f"GET {table}"]
    assert get.kind is SpanKind.CLIENT and get.parent is not None
    assert get.parent.span_id == spans["turn"].context.span_id
    assert get.attributes is not None and get.attributes["http.method"] == "GET"
    assert get.attributes["http.status_code"] == "200" and str(get.attributes["http.url"]).endswith(f"/{table}")
    assert spans["turn"].kind is SpanKind.INTERNAL
    assert not any("secret" in str(v) for s in spans.values() for v in (s.attributes or {}).values())
