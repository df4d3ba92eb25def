"""The idempotency store on Azure Table Storage: a request claimed by a conditional insert, its result kept."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime, timedelta

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import UpdateMode

from adapters import table_entities as te
from adapters.table_storage import TableStore, etag_of, storage_errors
from incident.errors import ConcurrencyConflict, NotFound
from services.ports import IdempotencyClaim, IdempotencyRecord

log = logging.getLogger(__name__)


class TableIdempotencyStore:
    """Keys are hashed: any string is safe, and the first two hex digits spread the partitions."""

    def __init__(self, store: TableStore) -> None:
        self._store = store

    @staticmethod
    def _keys(key: str) -> tuple[str, str]:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return digest[:2], digest

    async def begin(self, key: str, now: datetime, lease: timedelta) -> IdempotencyClaim:
        table = await self._store.table("idempotency")
        partition, row = self._keys(key)
        attempt = uuid.uuid4().hex  # tells this claim from another's when an answer is lost
        fresh = {"PartitionKey": partition, "RowKey": row, "Key": key[:512], "StartedAt": now, "Attempt": attempt}
        async with storage_errors("checking a repeated request"):
            for _ in range(5):
                try:
                    await table.create_entity(fresh)
                    return IdempotencyClaim(True, IdempotencyRecord(key=key, started_at=now))
                except ResourceExistsError:
                    pass
                except (ServiceRequestError, ServiceResponseError):
                    # No answer: the row may have been stored. Read it back below rather than leave a claim
                    # of our own that makes every retry wait out the lease.
                    log.warning("no answer while claiming a request; reading the claim back")
                try:
                    existing = await table.get_entity(partition, row)
                except ResourceNotFoundError:
                    continue
                if existing.get("Attempt") == attempt:
                    return IdempotencyClaim(True, IdempotencyRecord(key=key, started_at=now))
                record = IdempotencyRecord(key=key, started_at=te.utc(existing["StartedAt"]),
                                           result=existing.get("Result", ""))
                if record.done or now - record.started_at < lease:
                    return IdempotencyClaim(False, record)
                try:  # the earlier attempt died half-way: take it over, once
                    await table.update_entity(fresh, mode=UpdateMode.REPLACE, etag=etag_of(existing),
                                              match_condition=MatchConditions.IfNotModified)
                    return IdempotencyClaim(True, IdempotencyRecord(key=key, started_at=now))
                except ResourceModifiedError:
                    continue
        raise ConcurrencyConflict("this request is being processed by several workers at once")

    async def find(self, key: str) -> IdempotencyRecord | None:
        table = await self._store.table("idempotency")
        partition, row = self._keys(key)
        async with storage_errors("checking a request"):
            try:
                existing = await table.get_entity(partition, row)
            except ResourceNotFoundError:
                return None
        return IdempotencyRecord(key=key, started_at=te.utc(existing["StartedAt"]), result=existing.get("Result", ""))

    async def release(self, key: str) -> None:
        table = await self._store.table("idempotency")
        partition, row = self._keys(key)
        async with storage_errors("releasing a request"):
            try:
                existing = await table.get_entity(partition, row)
                if not existing.get("Result"):
                    await table.delete_entity(partition, row, etag=etag_of(existing),
                                              match_condition=MatchConditions.IfNotModified)
            except (ResourceNotFoundError, ResourceModifiedError):
                pass  # gone already, or finished or retaken meanwhile: leave it

    async def complete(self, key: str, result: str) -> None:
        table = await self._store.table("idempotency")
        partition, row = self._keys(key)
        async with storage_errors("recording a request's result"):
            try:
                await table.update_entity({"PartitionKey": partition, "RowKey": row, "Result": result},
                                          mode=UpdateMode.MERGE)
            except ResourceNotFoundError:
                raise NotFound(f"idempotency key {key!r} was never begun") from None
