"""A counting proxy in front of Azurite: every Table Storage request of every host, by table, partition and kind.

Table Storage's scalability targets are per partition (about 2,000 entities per second) and per account
(20,000), so each request is attributed to the table and partition it touches: point reads and writes by
the keys in their URL, inserts by the keys in their body, queries by their ``PartitionKey eq`` filter (a
query without one is a scan, partition "*"), and an entity group transaction ($batch) by the partition its
operations share, counting each operation as one entity.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote

from aiohttp import web

from tests.support.fault_proxy import FaultProxy, fault_proxy

WRITE_METHODS = ("POST", "PUT", "PATCH", "MERGE", "DELETE")
_KEYS = re.compile(r"PartitionKey='((?:[^']|'')*)'")
_FILTER = re.compile(r"PartitionKey eq '((?:[^']|'')*)'")
_BODY_KEY = re.compile(r'"PartitionKey"\s*:\s*"((?:[^"\\]|\\.)*)"')
_BATCH_OPERATION = re.compile(r"^(POST|PUT|PATCH|MERGE|DELETE|GET) https?://\S+/([A-Za-z0-9]+)", re.MULTILINE)


@dataclass(frozen=True)
class StorageRequest:
    at: float  # time.monotonic() when the proxy saw it
    table: str  # without the deployment's table prefix
    partition: str  # "*" for a query over every partition, "" for table creation
    kind: str  # "read", "query", "write", "batch" or "table"
    entities: int  # entities written (a batch's operations), or 1


def _unquote_key(text: str) -> str:
    return unquote(text).replace("''", "'")


def classify(method: str, path: str, query: str, body: bytes, prefix: str) -> StorageRequest | None:
    """What one request to the table endpoint does; None for what is not an entity request."""
    resource = unquote(path).split("/", 2)[-1]  # /devstoreaccount1/<resource>
    now = time.monotonic()
    if resource.startswith("Tables"):
        return StorageRequest(now, "", "", "table", 1)
    text = body.decode("utf-8", errors="replace")
    if resource == "$batch":
        operations = _BATCH_OPERATION.findall(text)
        table = operations[0][1] if operations else ""
        keys = _KEYS.search(text) or _BODY_KEY.search(text)
        partition = _unquote_key(keys.group(1)) if keys else ""
        return StorageRequest(now, table.removeprefix(prefix), partition, "batch", max(1, len(operations)))
    table = resource.split("(", 1)[0]
    keys = _KEYS.search(resource)
    if method == "GET":
        if keys:
            return StorageRequest(now, table.removeprefix(prefix), _unquote_key(keys.group(1)), "read", 1)
        found = _FILTER.search(unquote(query))
        return StorageRequest(now, table.removeprefix(prefix), _unquote_key(found.group(1)) if found else "*",
                              "query", 1)
    if method in WRITE_METHODS:
        found = keys or _BODY_KEY.search(text)
        partition = _unquote_key(found.group(1)) if found else ""
        return StorageRequest(now, table.removeprefix(prefix), partition, "write", 1)
    return None


class CountingProxy(FaultProxy):
    """A FaultProxy that also records what each request does to which partition (``seen_requests``)."""

    prefix: str = ""
    seen_requests: list[StorageRequest]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()  # cached by aiohttp: the forwarding reads it again
        counted = classify(request.method, request.raw_path.split("?", 1)[0], request.query_string, body,
                           self.prefix)
        if counted is not None:
            self.seen_requests.append(counted)
        return await super()._handle(request)


@dataclass
class StorageCount:
    """The requests seen in a window; ``since`` starts a new one."""

    proxy: CountingProxy
    start: int = 0
    started_at: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return self.proxy.url

    def since(self) -> StorageCount:
        return StorageCount(self.proxy, len(self.proxy.seen_requests), time.monotonic())

    @property
    def requests(self) -> list[StorageRequest]:
        return self.proxy.seen_requests[self.start:]

    def by_partition(self, kinds: Iterable[str] = ("read", "query", "write", "batch")) -> Counter[tuple[str, str]]:
        """Requests per (table, partition) of the given kinds."""
        wanted = set(kinds)
        return Counter((r.table, r.partition) for r in self.requests if r.kind in wanted)

    def entities_written(self) -> Counter[tuple[str, str]]:
        """Entities written per (table, partition): a batch counts each of its operations."""
        written: Counter[tuple[str, str]] = Counter()
        for r in self.requests:
            if r.kind in ("write", "batch"):
                written[(r.table, r.partition)] += r.entities
        return written


@asynccontextmanager
async def counting_proxy(target: str, prefix: str) -> AsyncIterator[StorageCount]:
    """A counting proxy to ``target`` (Azurite's table endpoint, e.g. http://127.0.0.1:10002)."""
    async with fault_proxy(target, kind=CountingProxy) as proxy:
        assert isinstance(proxy, CountingProxy)
        proxy.prefix, proxy.seen_requests = prefix, []
        yield StorageCount(proxy)
