"""The lean table client's wire format: its SharedKey signature is azure-data-tables' own, its transaction body is
a well-formed multipart/mixed changeset, and a transaction's answer is read into the SDK's results and errors."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.data.tables import RequestTooLargeError, TableTransactionError, UpdateMode
from multidict import CIMultiDict

from adapters.table_http_auth import SharedKey, http_date
from adapters.table_http_codec import (
    MAX_BATCH_ANSWER,
    Answer,
    batch_request,
    batch_results,
    entity_path,
    parse_batch,
)
from adapters.table_storage import storage_errors
from incident.errors import StorageUnavailable

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
BASE = "http://127.0.0.1:10002/devstoreaccount1"


def sdk_signature(method: str, url: str, headers: dict[str, str]) -> str:
    """What azure-data-tables' SharedKeyCredentialPolicy puts in Authorization for this request."""
    from azure.core.credentials import AzureNamedKeyCredential
    from azure.core.pipeline import PipelineContext, PipelineRequest
    from azure.core.rest import HttpRequest
    from azure.data.tables._authentication import SharedKeyCredentialPolicy

    request = HttpRequest(method, url, headers=dict(headers))
    policy = SharedKeyCredentialPolicy(AzureNamedKeyCredential(ACCOUNT, KEY))
    policy.on_request(PipelineRequest(request, PipelineContext(None)))
    return str(request.headers["Authorization"])


@pytest.mark.parametrize(("method", "path", "content_type"), [
    ("GET", "/devstoreaccount1/incidents(PartitionKey='INC-1',RowKey='summary')", ""),
    ("PUT", "/devstoreaccount1" + entity_path("t1", "it's é", "a b~c"), "application/json"),
    ("POST", "/devstoreaccount1/$batch", "multipart/mixed; boundary=batch_1"),
    ("GET", "/devstoreaccount1/duework()", ""),
])
def test_the_shared_key_signature_is_the_sdks(method: str, path: str, content_type: str) -> None:
    headers = {"x-ms-version": "2019-02-02", "DataServiceVersion": "3.0", "x-ms-date": http_date(1_800_000_000),
               "Date": http_date(1_800_000_000)}
    if content_type:
        headers["Content-Type"] = content_type
    assert SharedKey(ACCOUNT, KEY).signature(method, path, headers) == sdk_signature(
        method, f"http://127.0.0.1:10002{path}", headers)


def test_the_date_header_is_rfc_1123_in_gmt() -> None:
    from wsgiref.handlers import format_date_time

    for moment in (0, 1_800_000_000, 1_767_225_599):
        assert http_date(moment) == format_date_time(moment)


def changeset(body: str, content_type: str) -> list[tuple[str, str, str]]:
    """(request line, If-Match, JSON body) of each operation, read back with the ``email`` package."""
    message = email.parser.Parser(policy=email.policy.HTTP).parsestr(f"Content-Type: {content_type}\r\n\r\n{body}")
    [inner] = message.get_payload()
    found = []
    for index, part in enumerate(inner.get_payload()):
        assert part.get_content_type() == "application/http" and part["Content-ID"] == str(index)
        http = part.get_payload()
        head, _, payload = http.partition("\r\n\r\n")
        lines = head.split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        if payload.strip():
            assert int(headers["Content-Length"]) == len(payload.rstrip("\r\n").encode("utf-8"))
        found.append((lines[0], headers.get("If-Match", ""), payload.rstrip("\r\n")))
    return found


def test_a_transaction_body_carries_each_operation_in_order() -> None:
    content_type, body, count = batch_request(BASE, "incidents", [
        ("create", {"PartitionKey": "INC-1", "RowKey": "event-1", "Text": "été ''"}),
        ("upsert", {"PartitionKey": "INC-1", "RowKey": "outbox"}, {"mode": UpdateMode.REPLACE}),
        ("upsert", {"PartitionKey": "INC-1", "RowKey": "merge"}),
        ("update", {"PartitionKey": "INC-1", "RowKey": "summary"},
         {"mode": UpdateMode.REPLACE, "etag": 'W/"1"', "match_condition": MatchConditions.IfNotModified}),
        ("delete", {"PartitionKey": "INC-1", "RowKey": "it's"}),
    ], "2019-02-02", http_date(1_800_000_000))
    assert count == 5 and content_type.startswith("multipart/mixed; boundary=batch_")
    operations = changeset(body, content_type)
    assert [(line, match) for line, match, _ in operations] == [
        (f"POST {BASE}/incidents HTTP/1.1", ""),
        (f"PUT {BASE}/incidents(PartitionKey='INC-1',RowKey='outbox') HTTP/1.1", ""),
        (f"PATCH {BASE}/incidents(PartitionKey='INC-1',RowKey='merge') HTTP/1.1", ""),
        (f"PUT {BASE}/incidents(PartitionKey='INC-1',RowKey='summary') HTTP/1.1", 'W/"1"'),
        (f"DELETE {BASE}/incidents(PartitionKey='INC-1',RowKey='it%27%27s') HTTP/1.1", "*"),
    ]
    assert json.loads(operations[0][2])["Text"] == "été ''"
    assert operations[4][2] == ""


@pytest.mark.parametrize(("operations", "refusal"), [
    ([("create", {"PartitionKey": "a", "RowKey": "1"}), ("create", {"PartitionKey": "b", "RowKey": "2"})],
     "Partition Keys in the batch must all be the same."),
    ([("create", {"PartitionKey": "a", "RowKey": str(n)}) for n in range(101)], "at most 100 operations"),
    ([("insert", {"PartitionKey": "a", "RowKey": "1"})], "Unrecognized operation: insert"),
    ([("create", {"PartitionKey": "a"})], "PartitionKey and/or RowKey were not provided in entity"),
    ([("upsert", {"PartitionKey": "a", "RowKey": "1"}, {"mode": "sideways"})], "Mode type 'sideways'"),
    ([("update", {"PartitionKey": "a", "RowKey": "1"}, {"match_condition": MatchConditions.IfNotModified})],
     "IfNotModified must be specified with etag."),
])
def test_a_transaction_the_service_would_refuse_is_refused_before_sending(operations: list[Any], refusal: str) -> None:
    with pytest.raises(ValueError, match=re.escape(refusal)):
        batch_request(BASE, "t", operations, "2019-02-02", http_date())


def answer_of(status: int, parts: list[str], newline: str = "\r\n") -> Answer:
    text = "".join(f"--changesetresponse_9{newline}Content-Type: application/http{newline}"
                   f"Content-Transfer-Encoding: binary{newline}{newline}{part}{newline}" for part in parts)
    body = (f"--batchresponse_7{newline}Content-Type: multipart/mixed; boundary=changesetresponse_9{newline}"
            f"{newline}{text}--changesetresponse_9--{newline}--batchresponse_7--{newline}")
    headers = CIMultiDict({"Content-Type": "multipart/mixed; boundary=batchresponse_7"})
    return Answer(status, "Accepted", headers, body.encode("utf-8"))


def ok(etag: str, newline: str = "\r\n") -> str:
    return (f"HTTP/1.1 204 No Content{newline}X-Content-Type-Options: nosniff{newline}Cache-Control: no-cache"
            f"{newline}DataServiceVersion: 1.0;{newline}ETag: {etag}{newline}")


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_a_transactions_answer_gives_each_operations_etag_in_order(newline: str) -> None:
    answer = answer_of(202, [ok('W/"datetime\'1\'"', newline), ok('W/"datetime\'2\'"', newline)], newline)
    assert batch_results(answer, "t") == [{"etag": 'W/"datetime\'1\'"'}, {"etag": 'W/"datetime\'2\'"'}]


def test_a_refused_operation_raises_the_sdks_transaction_error_with_its_index_and_status() -> None:
    error = json.dumps({"odata.error": {"code": "EntityAlreadyExists", "message": {
        "lang": "en-US", "value": "1:The specified entity already exists.\nRequestId:x"}}})
    refused = (f"HTTP/1.1 409 Conflict\r\nContent-ID: 1\r\nContent-Type: application/json;odata=minimalmetadata;"
               f"streaming=true;charset=utf-8\r\n\r\n{error}")
    with pytest.raises(TableTransactionError) as raised:
        batch_results(answer_of(202, [refused]), "t")
    assert (raised.value.status_code, raised.value.reason, raised.value.index) == (409, "Conflict", 1)
    assert raised.value.error_code == "EntityAlreadyExists"
    with pytest.raises(RequestTooLargeError):
        batch_results(Answer(413, "Request Entity Too Large", CIMultiDict(), b""), "t")


def test_an_answer_larger_than_any_transactions_is_not_parsed() -> None:
    with pytest.raises(ValueError, match="larger"):
        parse_batch("multipart/mixed; boundary=b", b"x" * (MAX_BATCH_ANSWER + 1))


def test_the_answer_to_a_stored_transaction_near_the_request_limit_is_read() -> None:
    """A transaction of 4 MiB of creates is answered with each entity echoed: its answer is larger than 4 MiB."""
    echoed = json.dumps({"PartitionKey": "p", "RowKey": "r", "Text": "x" * 42_500})
    created = ("HTTP/1.1 201 Created\r\nContent-Type: application/json;odata=minimalmetadata\r\n"
               "ETag: W/\"1\"\r\n\r\n" + echoed)
    answer = answer_of(202, [created] * 100)
    assert len(answer.content) > 4 * 1024 * 1024
    assert batch_results(answer, "t") == [{"etag": 'W/"1"'}] * 100


@pytest.mark.parametrize("part", ["HTTP/1.1\r\n\r\n", "garbage without a status\r\n"])
async def test_an_unreadable_transaction_answer_is_a_storage_failure_not_a_crash(part: str) -> None:
    with pytest.raises(StorageUnavailable, match="failed while storing a change: 202"):
        async with storage_errors("storing a change"):
            batch_results(answer_of(202, [part]), "t")
