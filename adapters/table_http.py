"""A lean client for one table's entities: the part of azure-data-tables' async TableClient that devopsbot's
repositories call (get, create, update, upsert, delete, query, list, transactions), over plain aiohttp.

Why: through azure-core's pipeline a Table Storage request costs the host about 1 ms of CPU and a 5-row
transaction about 5 ms (docs/capacity.md, "CPU per declaration"); the same requests signed and sent directly
cost a third of that. Behaviour is the SDK's: the same TableEntity values and metadata (its own converters),
the same return mappings, the same exceptions for the same answers (its own error decoder), the same retries
and transport errors (``adapters.table_http_transport``). Tables are created and listed by the SDK's
TableServiceClient (``adapters.table_storage.TableStore``), rarely and at start.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from azure.core import MatchConditions
from azure.data.tables import TableEntity, UpdateMode

from adapters.table_http_auth import http_date, signer_for
from adapters.table_http_codec import (
    JSON,
    MINIMAL,
    Answer,
    batch_request,
    batch_results,
    entity_json,
    entity_path,
    if_match,
    normalize_headers,
    parameter_filter,
    raise_for,
    raise_for_create,
    to_entity,
    trim_metadata,
)
from adapters.table_http_transport import API_VERSION, TableAccount

__all__ = ["LeanTableClient", "TableAccount", "lean_account"]


def lean_account(service: Any, options: Mapping[str, Any]) -> TableAccount | None:
    """The account of the SDK's TableServiceClient (its parse of the connection string or its endpoint and
    managed identity), or None when its credential is one this client does not sign (then the SDK serves)."""
    signer = signer_for(getattr(service, "credential", None))
    if signer is None:
        return None
    return TableAccount(f"{service.scheme}://{service._primary_hostname}", signer, options)


def _select(select: str | list[str] | None) -> str | None:
    if isinstance(select, list):
        return ",".join(select)
    return select or None


def _metadata(answer: Answer, content: Any = None) -> Mapping[str, Any]:
    """The SDK's write metadata: etag, version, and the answer's Date as a datetime (as its generated client
    deserialises it)."""
    metadata: dict[str, Any] = trim_metadata(normalize_headers(answer.headers), content=content)
    if isinstance(metadata.get("date"), str):
        try:
            metadata["date"] = parsedate_to_datetime(metadata["date"])
        except (TypeError, ValueError):
            metadata["date"] = None
    return metadata


class LeanTableClient:
    """One table's entities (``azure.data.tables.aio.TableClient``'s entity methods, same signatures)."""

    def __init__(self, account: TableAccount, table_name: str) -> None:
        self.account = account
        self.table_name = table_name

    async def get_entity(self, partition_key: str, row_key: str, *, select: str | list[str] | None = None,
                         retry_total: int | None = None) -> TableEntity:
        chosen = _select(select)
        answer = await self.account.send("GET", entity_path(self.table_name, partition_key, row_key),
                                         query=f"$select={quote(chosen, safe='')}" if chosen else "",
                                         headers={"Accept": MINIMAL}, retry_total=retry_total)
        if answer.status_code != 200:
            raise_for(answer, self.table_name)
        entity: TableEntity = to_entity(json.loads(answer.content))
        return entity

    async def create_entity(self, entity: Mapping[str, Any], *, retry_total: int | None = None) -> Mapping[str, Any]:
        body = entity_json(entity)
        answer = await self.account.send("POST", f"/{self.table_name}", body=body, retry_total=retry_total,
                                         headers={"Content-Type": "application/json;odata=nometadata",
                                                  "Accept": MINIMAL})
        if answer.status_code >= 300:
            raise_for_create(answer, self.table_name, entity)
        return _metadata(answer, json.loads(answer.content) if answer.content else None)

    async def update_entity(self, entity: Mapping[str, Any], mode: str | UpdateMode = UpdateMode.MERGE, *,
                            etag: str | None = None, match_condition: MatchConditions | None = None,
                            retry_total: int | None = None) -> Mapping[str, Any]:
        if match_condition and not etag and isinstance(entity, TableEntity):
            etag = entity.metadata.get("etag")
        return await self._write(entity, mode, if_match(etag, match_condition), retry_total)

    async def upsert_entity(self, entity: Mapping[str, Any], mode: str | UpdateMode = UpdateMode.MERGE, *,
                            retry_total: int | None = None) -> Mapping[str, Any]:
        return await self._write(entity, mode, None, retry_total)

    async def _write(self, entity: Mapping[str, Any], mode: str | UpdateMode, match: str | None,
                     retry_total: int | None) -> Mapping[str, Any]:
        path = entity_path(self.table_name, entity["PartitionKey"], entity["RowKey"])
        body = entity_json(entity)
        if mode == UpdateMode.REPLACE:
            method = "PUT"
        elif mode == UpdateMode.MERGE:
            method = "PATCH"
        else:
            raise ValueError(f"Mode type '{mode}' is not supported.")
        headers = {"Content-Type": JSON, "Accept": JSON}
        if match is not None:
            headers["If-Match"] = match
        answer = await self.account.send(method, path, body=body, headers=headers, retry_total=retry_total)
        if answer.status_code >= 300:
            raise_for(answer, self.table_name)
        return _metadata(answer)

    async def delete_entity(self, *args: Any, **kwargs: Any) -> None:
        """``delete_entity(partition_key, row_key)`` or ``delete_entity(entity)``; a row already gone is no error."""
        entity = kwargs.pop("entity", None) or (args[0] if args and not isinstance(args[0], str) else None)
        if entity is not None:
            partition_key, row_key = entity["PartitionKey"], entity["RowKey"]
        else:
            partition_key = kwargs.pop("partition_key", None) or args[0]
            row_key = kwargs.pop("row_key", None) or args[1]
        match_condition = kwargs.pop("match_condition", None)
        etag = kwargs.pop("etag", None)
        if match_condition and not etag and isinstance(entity, TableEntity):
            etag = entity.metadata.get("etag")
        match = if_match(etag, match_condition)
        answer = await self.account.send("DELETE", entity_path(self.table_name, partition_key, row_key),
                                         headers={"Accept": MINIMAL, "If-Match": match},
                                         retry_total=kwargs.pop("retry_total", None))
        if answer.status_code == 404:
            return
        if answer.status_code >= 300:
            raise_for(answer, self.table_name)

    def query_entities(self, query_filter: str, *, results_per_page: int | None = None,
                       select: str | list[str] | None = None, parameters: dict[str, Any] | None = None,
                       retry_total: int | None = None) -> EntityPages:
        return EntityPages(self, parameter_filter(parameters, query_filter), results_per_page,
                           _select(select), retry_total)

    def list_entities(self, *, results_per_page: int | None = None, select: str | list[str] | None = None,
                      retry_total: int | None = None) -> EntityPages:
        return EntityPages(self, None, results_per_page, _select(select), retry_total)

    async def submit_transaction(self, operations: Iterable[Any], *,
                                 retry_total: int | None = None) -> list[Mapping[str, Any]]:
        """One entity-group transaction: every operation or none; TableTransactionError names the one refused."""
        content_type, body, count = batch_request(self.account.base_url, self.table_name, operations,
                                                  API_VERSION, http_date())
        if not count:
            return []  # the SDK sends it and returns [] for the service's 400
        answer = await self.account.send("POST", "/$batch", body=body, retry_total=retry_total, headers={
            "MaxDataServiceVersion": "3.0;NetFx", "Content-Type": content_type, "Accept": JSON})
        return batch_results(answer, self.table_name)

    async def close(self) -> None:
        """Nothing of its own: the account's session is closed by ``TableStore.close``."""


class EntityPages:
    """The entities a query returns, page after page (continuation headers followed), as an async iterator."""

    def __init__(self, client: LeanTableClient, query_filter: str | None, per_page: int | None,
                 select: str | None, retry_total: int | None) -> None:
        self._client = client
        query = []
        if per_page is not None:
            query.append(f"$top={per_page}")
        if select:
            query.append(f"$select={quote(select, safe='')}")
        if query_filter:
            query.append(f"$filter={quote(query_filter, safe='')}")
        self._query = "&".join(query)
        self._retry_total = retry_total
        self._page: list[Any] = []
        self._next: str | None = ""  # continuation query; None once the last page was read

    def __aiter__(self) -> EntityPages:
        return self

    async def __anext__(self) -> TableEntity:
        while not self._page:
            if self._next is None:
                raise StopAsyncIteration
            await self._read_page()
        entity: TableEntity = to_entity(self._page.pop())
        return entity

    async def _read_page(self) -> None:
        query = "&".join(q for q in (self._query, self._next) if q)
        client = self._client
        answer = await client.account.send("GET", f"/{client.table_name}()", query=query,
                                           headers={"Accept": MINIMAL}, retry_total=self._retry_total)
        if answer.status_code != 200:
            raise_for(answer, client.table_name)
        self._page = list(reversed(json.loads(answer.content).get("value", [])))
        partition = answer.headers.get("x-ms-continuation-NextPartitionKey")
        row = answer.headers.get("x-ms-continuation-NextRowKey")
        if partition or row:
            following = [f"NextPartitionKey={quote(partition, safe='')}" if partition else "",
                         f"NextRowKey={quote(row, safe='')}" if row else ""]
            self._next = "&".join(q for q in following if q)
        else:
            self._next = None
