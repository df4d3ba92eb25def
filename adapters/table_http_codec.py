"""The wire format of the lean Table Storage client (``adapters.table_http``): an answer as azure-core's error
helpers read it, the errors azure-data-tables raises for it, and the entity-group transaction's multipart/mixed
body, written with plain string formatting and its answer read in one linear pass (the SDK uses the ``email``
package both ways: most of a transaction's CPU).

Entities are converted by azure-data-tables' own pure helpers (``_add_entity_properties``, ``_convert_to_entity``),
so the Edm types and Python values are the SDK's exactly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from azure.core import MatchConditions
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
)
from azure.data.tables import UpdateMode, _deserialize, _error, _serialize
from azure.data.tables._error import RequestTooLargeError, TableTransactionError
from multidict import CIMultiDict, CIMultiDictProxy

# azure-data-tables' own pure helpers (untyped): entities, keys and errors exactly as the SDK makes them.
_add_entity_properties: Any = _serialize._add_entity_properties
_get_match_condition: Any = _serialize._get_match_condition
_prepare_key: Any = _serialize._prepare_key
parameter_filter: Any = _serialize._parameter_filter_substitution
_decode_error: Any = _error._decode_error
_validate_tablename_error: Any = _error._validate_tablename_error
_validate_key_values: Any = _error._validate_key_values
to_entity: Any = _deserialize._convert_to_entity
normalize_headers: Any = _deserialize._normalize_headers
trim_metadata: Any = _deserialize._trim_service_metadata

MAX_OPERATIONS = 100  # Table Storage's limit of operations in one entity-group transaction
# A transaction's request is at most 4 MiB; its answer echoes each created entity (with its metadata), so it
# may be somewhat larger than the request, never twice as large plus a few hundred bytes per operation.
MAX_BATCH_ANSWER = 9 * 1024 * 1024
JSON = "application/json"
MINIMAL = "application/json;odata=minimalmetadata"


class Answer:
    """One HTTP answer (or one part of a transaction's) with what azure-core's error types read from it."""

    __slots__ = ("content", "headers", "http_request", "reason", "status_code")

    def __init__(self, status_code: int, reason: str, headers: Mapping[str, str], content: bytes,
                 http_request: Any = None) -> None:
        self.status_code, self.reason, self.headers, self.content = status_code, reason, headers, content
        self.http_request = http_request

    @property
    def request(self) -> Any:
        return self.http_request

    @property
    def content_type(self) -> str:
        return str(self.headers.get("Content-Type", "")).split(";")[0].strip()

    def text(self, encoding: str | None = None) -> str:
        return self.content.decode(encoding or "utf-8", errors="replace")

    def body(self) -> bytes:
        return self.content


def entity_path(table: str, partition_key: str, row_key: str) -> str:
    """The encoded path of one entity, keys quoted as azure-data-tables quotes them (' doubled, then %-encoded)."""
    return (f"/{table}(PartitionKey='{quote(_prepare_key(partition_key), safe='')}',"
            f"RowKey='{quote(_prepare_key(row_key), safe='')}')")


def if_match(etag: str | None, match_condition: MatchConditions | None) -> str:
    """The If-Match header of an update or delete, with the SDK's checks of etag and condition."""
    condition = _get_match_condition(etag=etag, match_condition=match_condition or MatchConditions.Unconditionally)
    return str(etag) if condition == MatchConditions.IfNotModified else "*"


def entity_json(entity: Mapping[str, Any]) -> str:
    return json.dumps(_add_entity_properties(entity))


def raise_for(answer: Answer, table: str) -> None:
    """What azure-data-tables raises for a failed entity operation: the error decoded from the answer's code
    (EntityNotFound → ResourceNotFoundError, UpdateConditionNotSatisfied → ResourceModifiedError, ...)."""
    decoded = _decode_error(answer, f"Operation returned an invalid status '{answer.reason}'")
    _validate_tablename_error(decoded, table)
    raise decoded


def raise_for_create(answer: Answer, table: str, entity: Mapping[str, Any]) -> None:
    """What azure-data-tables raises when an insert fails: the error by status alone (409 ResourceExistsError),
    after the SDK's checks of missing keys and table names."""
    decoded = _decode_error(answer, f"Operation returned an invalid status '{answer.reason}'")
    _validate_key_values(decoded, entity.get("PartitionKey"), entity.get("RowKey"))
    _validate_tablename_error(decoded, table)
    by_status: dict[int, type[HttpResponseError]] = {401: ClientAuthenticationError, 404: ResourceNotFoundError,
                                                     409: ResourceExistsError, 304: ResourceNotModifiedError}
    raise by_status.get(answer.status_code, HttpResponseError)(response=answer)


def batch_request(base_url: str, table: str, operations: Iterable[Any], version: str,
                  date: str) -> tuple[str, str, int]:
    """(the body's Content-Type, the body, the number of operations) of an entity-group transaction, with the
    SDK's checks: known operation names and modes, every entity keyed, one partition, at most 100 operations."""
    changeset = f"changeset_{uuid.uuid4()}"
    batch = f"batch_{uuid.uuid4()}"
    common = f"x-ms-version: {version}\r\nDataServiceVersion: 3.0\r\n"
    dates = f"x-ms-date: {date}\r\nDate: {date}\r\n"
    parts: list[str] = []
    partition: Any = None
    for index, operation in enumerate(operations):
        kind, entity, options = (operation if len(operation) == 3 else (operation[0], operation[1], {}))
        if str(kind).lower() not in ("create", "update", "upsert", "delete"):
            raise ValueError(f"Unrecognized operation: {kind}")
        if "PartitionKey" not in entity or "RowKey" not in entity:
            raise ValueError("PartitionKey and/or RowKey were not provided in entity")
        if partition is None:
            partition = entity["PartitionKey"]
        elif entity["PartitionKey"] != partition:
            raise ValueError("Partition Keys in the batch must all be the same.")
        if index >= MAX_OPERATIONS:
            raise ValueError(f"A transaction may hold at most {MAX_OPERATIONS} operations.")
        parts.append(_part(base_url, table, str(kind).lower(), entity, dict(options), common, dates, index))
    if not parts:
        return "", "", 0
    body = (f"--{batch}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n"
            + "".join(f"--{changeset}\r\n{part}" for part in parts)
            + f"--{changeset}--\r\n\r\n--{batch}--\r\n")
    return f"multipart/mixed; boundary={batch}", body, len(parts)


def _part(base_url: str, table: str, kind: str, entity: Mapping[str, Any], options: dict[str, Any], common: str,
          dates: str, index: int) -> str:
    head = f"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: {index}\r\n\r\n"
    if kind == "create":
        return _message(head, f"POST {base_url}/{table}", common + f"Accept: {MINIMAL}\r\n", dates, entity_json(entity))
    path = base_url + entity_path(table, entity["PartitionKey"], entity["RowKey"])
    if kind == "delete":
        match = if_match(options.get("etag"), options.get("match_condition"))
        return _message(head, f"DELETE {path}", common + f"Accept: {MINIMAL}\r\nIf-Match: {match}\r\n", dates, None)
    mode = options.get("mode", UpdateMode.MERGE)
    if mode not in (UpdateMode.MERGE, UpdateMode.REPLACE):
        raise ValueError(f"Mode type '{mode}' is not supported.")
    verb = "PUT" if mode == UpdateMode.REPLACE else "PATCH"
    headers = common + f"Accept: {JSON}\r\n"
    if kind == "update":
        headers += f"If-Match: {if_match(options.get('etag'), options.get('match_condition'))}\r\n"
    return _message(head, f"{verb} {path}", headers, dates, entity_json(entity))


def _message(head: str, request_line: str, headers: str, dates: str, body: str | None) -> str:
    if body is None:
        return f"{head}{request_line} HTTP/1.1\r\n{headers}{dates}\r\n\r\n"
    length = len(body.encode("utf-8"))
    return (f"{head}{request_line} HTTP/1.1\r\nContent-Type: {JSON}\r\nContent-Length: {length}\r\n"
            f"{headers}{dates}\r\n{body}\r\n")


def _boundary(content_type: str) -> str:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "boundary":
            return value.strip('"')
    raise ValueError("the transaction's answer names no multipart boundary")


def _split(text: str, boundary: str) -> list[str]:
    """The parts between ``--boundary`` lines (the closing ``--boundary--`` ends them)."""
    marker = f"--{boundary}"
    pieces = text.split(marker)
    parts = []
    for piece in pieces[1:]:
        if piece.startswith("--"):
            break
        parts.append(piece.lstrip("\r\n"))
    return parts


def _headers_and_rest(text: str) -> tuple[CIMultiDict[str], str]:
    head, separator, rest = text.partition("\r\n\r\n")
    if not separator:
        head, _, rest = text.partition("\n\n")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in head.splitlines():
        name, colon, value = line.partition(":")
        if colon:
            headers.add(name.strip(), value.strip())
    return headers, rest


def parse_batch(content_type: str, content: bytes) -> list[Answer]:
    """The answer to each operation of a transaction, in order, from the multipart/mixed answer."""
    if len(content) > MAX_BATCH_ANSWER:
        raise ValueError("the transaction's answer is larger than any transaction's answer can be")
    answers = []
    for part in _split(content.decode("utf-8", errors="replace"), _boundary(content_type)):
        headers, rest = _headers_and_rest(part)
        inner = headers.get("Content-Type", "")
        if inner.lower().startswith("multipart/mixed"):
            answers += parse_batch(inner, rest.encode("utf-8"))
            continue
        status_line, _, message = rest.partition("\n")
        fields = status_line.strip().split(" ", 2)  # HTTP/1.1 204 No Content
        part_headers, body = _headers_and_rest(message)
        answers.append(Answer(int(fields[1]), fields[2] if len(fields) > 2 else "", CIMultiDictProxy(part_headers),
                              body.rstrip("\r\n").encode("utf-8")))
    return answers


def batch_results(answer: Answer, table: str) -> list[Mapping[str, Any]]:
    """What azure-data-tables' submit_transaction returns for the answer (each operation's etag), or raises:
    TableTransactionError with the failing operation's status and index, RequestTooLargeError for 413."""
    if answer.status_code == 413:
        raise _decode_error(answer, error_message="The transaction request was too large",
                            error_type=RequestTooLargeError)
    if answer.status_code != 202:
        raise_for(answer, table)
    try:
        parts = parse_batch(str(answer.headers.get("Content-Type", "")), answer.content)
    except (ValueError, IndexError) as error:  # an answer no Table Storage sends: say so, as a storage failure
        raise HttpResponseError(message=f"an unreadable transaction answer: {error}", response=answer) from error
    failed = [p for p in parts if not 200 <= p.status_code < 300]
    if failed:
        if failed[0].status_code == 413:
            raise _decode_error(answer, error_message="The transaction request was too large",
                                error_type=RequestTooLargeError)
        decoded = _decode_error(response=failed[0], error_type=TableTransactionError)
        _validate_tablename_error(decoded, table)
        raise decoded
    return [{"etag": p.headers["ETag"]} if "ETag" in p.headers else {} for p in parts]
