"""Every storage port on Azure Table Storage (azure-data-tables, async), Azurite locally.

Keys are designed for the one query each record needs (see ``table_entities``): an incident's rows
share its partition and every change is one entity-group transaction guarded by the ETag; open
incidents, sequences and due work have partitions of their own, read by point or range reads.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import UpdateMode

from adapters import table_assessment as ta
from adapters import table_entities as te
from adapters import table_postmortem as tp
from incident.errors import ConcurrencyConflict, NotFound, StorageUnavailable
from incident.lifecycle import Status
from incident.model import Incident, TimelineEvent
from services.ports import DueItem, IdempotencyClaim, IdempotencyRecord, OutboxEntry

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient, TableServiceClient

log = logging.getLogger(__name__)
MAX_TRANSACTION = 100  # Table Storage's limit of operations in one entity-group transaction
DECLARED_READS_AT_ONCE = 16  # point reads in flight when a report loads many incidents


@asynccontextmanager
async def storage_errors(what: str) -> AsyncIterator[None]:
    """Turn transport failures and server errors into StorageUnavailable; let the rest through."""
    try:
        yield
    except (ResourceNotFoundError, ResourceExistsError, ResourceModifiedError):
        raise
    except HttpResponseError as error:
        if error.status_code in (401, 403):
            raise StorageUnavailable(f"Table Storage refused access while {what} ({error.status_code}): check "
                                     "the connection string's key or the managed identity's role") from error
        raise StorageUnavailable(f"Table Storage failed while {what}: {error.status_code} {error.reason}") from error
    except AzureError as error:
        raise StorageUnavailable(f"Table Storage is unreachable while {what}: {type(error).__name__}") from error


async def submit_guarded(table: TableClient, operations: list[Any], *, what: str, conflict: str) -> list[Any]:
    """One entity-group transaction; a row that exists already or changed meanwhile (409, 412) is a
    ConcurrencyConflict saying ``conflict``, the caller's cue to reload and retry."""
    async with storage_errors(what):
        try:
            return list(await table.submit_transaction(operations))
        except HttpResponseError as error:
            if error.status_code in (409, 412):
                raise ConcurrencyConflict(conflict) from error
            raise


class TableStore:
    """The table service client plus the project's tables, created on first use."""

    def __init__(self, service: TableServiceClient, prefix: str) -> None:
        self.service = service
        self.prefix = prefix
        self._tables: dict[str, TableClient] = {}
        self._lock = asyncio.Lock()

    async def table(self, name: str) -> TableClient:
        client = self._tables.get(name)
        if client is not None:
            return client
        async with self._lock:
            if name not in self._tables:
                full_name = f"{self.prefix}{name}"
                async with storage_errors(f"creating table {full_name}"):
                    try:
                        await self.service.create_table(full_name)
                    except ResourceExistsError:
                        pass
                self._tables[name] = self.service.get_table_client(full_name)
            return self._tables[name]

    async def probe(self) -> None:
        """One cheap read that fails fast (no retries) when storage is unreachable."""
        table = await self.table("incidents")
        async with storage_errors("checking health"):
            try:
                await table.get_entity("~health", "probe", retry_total=0)
            except ResourceNotFoundError:
                pass

    async def close(self) -> None:
        for client in self._tables.values():
            await client.close()
        await self.service.close()


def _etag(entity: Any) -> str:
    return str(entity.metadata["etag"])


class TableIncidentRepository:
    def __init__(self, store: TableStore) -> None:
        self._store = store
        self._numbers_wanted: dict[tuple[str, int], list[asyncio.Future[int]]] = {}
        self._number_locks: dict[tuple[str, int], asyncio.Lock] = {}

    async def next_number(self, prefix: str, year: int) -> int:
        """Declarations waiting in this process share one conditional update of the counter: fifty people
        declaring at once would otherwise fight over its ETag, one winner per round trip
        (bench/declaration_storm.py)."""
        key = (prefix, year)
        mine: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._numbers_wanted.setdefault(key, []).append(mine)
        async with self._number_locks.setdefault(key, asyncio.Lock()):
            if not mine.done():  # nobody reserved for me while I waited: reserve for everyone waiting now
                waiting, self._numbers_wanted[key] = self._numbers_wanted[key], []
                try:
                    first = await self._reserve_numbers(prefix, year, len(waiting))
                except BaseException as error:
                    for future in waiting:
                        if future is not mine and not future.done():
                            future.set_exception(error)
                    mine.cancel()  # this caller raises the error itself
                    raise
                for offset, future in enumerate(waiting):
                    future.set_result(first + offset)
        return await mine

    async def _reserve_numbers(self, prefix: str, year: int, count: int) -> int:
        """The first of ``count`` consecutive numbers, reserved with one conditional update."""
        table = await self._store.table("incidents")
        row = f"{prefix}-{year}"
        for attempt in range(200):
            async with storage_errors("allocating an incident id"):
                try:
                    current = await table.get_entity(te.SEQUENCE_PARTITION, row)
                except ResourceNotFoundError:
                    try:
                        await table.create_entity({"PartitionKey": te.SEQUENCE_PARTITION,
                                                   "RowKey": row, "Value": count})
                        return 1
                    except ResourceExistsError:
                        continue
                number = int(current["Value"]) + 1
                try:
                    await table.update_entity({**current, "Value": number + count - 1}, mode=UpdateMode.REPLACE,
                                              etag=_etag(current),
                                              match_condition=MatchConditions.IfNotModified)
                    return number
                except ResourceModifiedError:
                    # Others are declaring at the same moment: back off a little, with jitter.
                    await asyncio.sleep(random.uniform(0, 0.005 * min(attempt + 1, 20)))
        raise ConcurrencyConflict("could not allocate an incident id; too many concurrent declarations")

    async def add(self, incident: Incident) -> None:
        table = await self._store.table("incidents")
        async with storage_errors(f"declaring {incident.id}"):
            # The index row goes first: an incident is never open but missing from the list.
            await table.upsert_entity({"PartitionKey": te.OPEN_INDEX_PARTITION, "RowKey": incident.id})
            # Likewise the declaration-month index, which reports read instead of scanning the table.
            await table.upsert_entity(te.declared_index_entity(incident))
            operations: list[Any] = [("create", te.incident_entity(incident))]
            await self._commit(table, incident, operations)

    async def save(self, incident: Incident) -> None:
        if not incident.pending:
            return
        table = await self._store.table("incidents")
        async with storage_errors(f"saving {incident.id}"):
            operations: list[Any] = [(
                "update", te.incident_entity(incident),
                {"mode": UpdateMode.REPLACE, "etag": incident.storage_tag,
                 "match_condition": MatchConditions.IfNotModified},
            )]
            follow_ups_changed = any(e.kind in tp.FOLLOW_UP_KINDS for e in incident.pending)
            if follow_ups_changed:  # index first: a follow-up is never open but missing from the index
                for follow_up in incident.follow_ups:
                    if not follow_up.is_done:
                        await table.upsert_entity(tp.index_entity(incident, follow_up))
            await self._commit(table, incident, operations)
            if follow_ups_changed:  # done ones leave the index; a left-over row is filtered out on read
                for follow_up in incident.follow_ups:
                    if follow_up.is_done:
                        await self._forget(table, tp.FOLLOW_UP_INDEX_PARTITION,
                                           tp.follow_up_row(incident.id, follow_up.number))
        if incident.status is Status.CLOSED:
            await self._forget_open(table, incident.id)

    @staticmethod
    async def _forget(table: TableClient, partition: str, row: str) -> None:
        """The change is stored: a failure here only leaves an index row that readers filter out."""
        try:
            await table.delete_entity(partition, row)
        except ResourceNotFoundError:
            pass
        except AzureError:
            log.warning("could not remove index row %s/%s; it is filtered out on read", partition, row)

    @staticmethod
    async def _forget_open(table: TableClient, incident_id: str) -> None:
        """The close is stored: a failure here only leaves an index row that list_open filters out."""
        try:
            await table.delete_entity(te.OPEN_INDEX_PARTITION, incident_id)
        except ResourceNotFoundError:
            pass
        except AzureError:
            log.warning("could not remove %s from the open-incident index; it is filtered out on read",
                        incident_id)

    async def _commit(self, table: TableClient, incident: Incident, operations: list[Any]) -> None:
        operations += [("create", te.event_entity(incident.id, e)) for e in incident.pending]
        # The postmortem and its follow-ups are rows of the incident, changed in the same transaction.
        operations += [("upsert", row, {"mode": UpdateMode.REPLACE}) for row in tp.postmortem_entities(incident)]
        operations += [("upsert", row, {"mode": UpdateMode.REPLACE}) for row in ta.assessment_entities(incident)]
        # The outbox row rides in the same transaction: stored events are never left untold.
        operations.append(("upsert", te.outbox_entity(incident.id, [e.sequence for e in incident.pending])))
        if len(operations) > MAX_TRANSACTION:
            raise ValueError(f"one change may add at most {MAX_TRANSACTION - 2} timeline events")
        try:
            results = await table.submit_transaction(operations)
        except HttpResponseError as error:
            if error.status_code in (409, 412):
                raise ConcurrencyConflict(f"{incident.id} changed since it was read") from error
            if error.status_code == 404:
                raise NotFound(f"no incident {incident.id}") from error
            raise
        incident.mark_stored()
        incident.storage_tag = str(results[0]["etag"])

    async def get(self, incident_id: str) -> Incident:
        table = await self._store.table("incidents")
        async with storage_errors(f"reading {incident_id}"):
            try:
                entity = await table.get_entity(incident_id, te.summary_row(incident_id))
            except ResourceNotFoundError:
                raise NotFound(f"no incident {incident_id}") from None
            incident = te.incident_from(entity, _etag(entity))
            if entity.get("Postmortem"):
                await tp.load(table, incident)
            if entity.get("Assessment"):
                await ta.load(table, incident)
        return incident

    async def timeline(self, incident_id: str) -> list[TimelineEvent]:
        table = await self._store.table("incidents")
        events: list[TimelineEvent] = []
        found = False
        async with storage_errors(f"reading the timeline of {incident_id}"):
            rows = table.query_entities("PartitionKey eq @pk", parameters={"pk": incident_id})
            async for entity in rows:
                found = True
                if te.is_event_row(entity["RowKey"]):
                    events.append(te.event_from(entity))
        if not found:
            raise NotFound(f"no incident {incident_id}")
        return sorted(events, key=lambda e: e.sequence)

    async def outbox(self, incident_id: str) -> list[OutboxEntry]:
        table = await self._store.table("incidents")
        low, high = te.outbox_row_range(incident_id)
        async with storage_errors(f"reading the outbox of {incident_id}"):
            rows = table.query_entities("PartitionKey eq @pk and RowKey ge @low and RowKey lt @high",
                                        parameters={"pk": incident_id, "low": low, "high": high})
            return [te.outbox_from(incident_id, entity) async for entity in rows]

    async def outbox_progress(self, entry: OutboxEntry) -> None:
        table = await self._store.table("incidents")
        async with storage_errors(f"recording what {entry.incident_id}'s reactions did"):
            await table.upsert_entity(te.outbox_entity(entry.incident_id, entry.sequences, entry.done),
                                      mode=UpdateMode.REPLACE)

    async def outbox_clear(self, entry: OutboxEntry) -> None:
        table = await self._store.table("incidents")
        async with storage_errors(f"clearing {entry.incident_id}'s outbox"):
            try:
                await table.delete_entity(entry.incident_id, te.outbox_row(entry.incident_id, entry.first_sequence))
            except ResourceNotFoundError:
                pass

    async def list_open(self) -> list[Incident]:
        table = await self._store.table("incidents")
        async with storage_errors("listing open incidents"):
            rows = table.query_entities("PartitionKey eq @pk",
                                        parameters={"pk": te.OPEN_INDEX_PARTITION}, select=["RowKey"])
            ids = [entity["RowKey"] async for entity in rows]
        found = await asyncio.gather(*(self._get_or_none(i) for i in ids))
        return [i for i in found if i is not None and i.status.is_open]

    async def declared_between(self, since: datetime, until: datetime) -> list[Incident]:
        """One range read per declaration month, then a point read per incident (a few at a time)."""
        table = await self._store.table("incidents")
        ids: list[str] = []
        async with storage_errors("listing incidents by declaration date"):
            for partition in te.declared_partitions(since, until):
                rows = table.query_entities(
                    "PartitionKey eq @pk and RowKey ge @lower and RowKey lt @upper",
                    parameters={"pk": partition, "lower": te.declared_time_key(since),
                                "upper": te.declared_time_key(until)},
                    select=["IncidentId"])
                ids += [entity["IncidentId"] async for entity in rows]
        reads = asyncio.Semaphore(DECLARED_READS_AT_ONCE)

        async def read(incident_id: str) -> Incident | None:
            async with reads:
                return await self._get_or_none(incident_id)

        found = await asyncio.gather(*(read(i) for i in dict.fromkeys(ids)))
        # An index row left by a declaration that lost a race points at an incident declared at another
        # instant: the stored declaration time decides.
        chosen = [i for i in found if i is not None and since <= i.declared_at < until]
        return sorted(chosen, key=lambda i: (i.declared_at, i.id))

    async def with_open_follow_ups(self) -> list[Incident]:
        """Incidents with follow-ups not yet done: one read of the follow-up index, one read per incident."""
        table = await self._store.table("incidents")
        async with storage_errors("listing open follow-ups"):
            rows = table.query_entities("PartitionKey eq @pk", parameters={"pk": tp.FOLLOW_UP_INDEX_PARTITION},
                                        select=["IncidentId"])
            ids = list(dict.fromkeys([entity["IncidentId"] async for entity in rows]))
        found = await asyncio.gather(*(self._get_or_none(i) for i in ids))
        return [i for i in found if i is not None and any(not f.is_done for f in i.follow_ups)]

    async def _get_or_none(self, incident_id: str) -> Incident | None:
        try:
            return await self.get(incident_id)
        except NotFound:
            return None  # an index row whose declaration failed half-way


class TableDueWorkRepository:
    def __init__(self, store: TableStore) -> None:
        self._store = store

    async def schedule(self, item: DueItem) -> None:
        table = await self._store.table("duework")
        async with storage_errors("scheduling due work"):
            try:
                await table.create_entity(te.due_entity(replace(item, attempts=0, not_before=None)))
            except ResourceExistsError:
                pass  # the same item is already scheduled

    async def schedule_many(self, items: Sequence[DueItem]) -> None:
        """One entity-group transaction (all due work shares a partition). If any item exists already the
        whole transaction is refused, and each is then scheduled on its own, keeping the existing ones."""
        fresh = {te.due_row(i): te.due_entity(replace(i, attempts=0, not_before=None)) for i in items}
        if len(fresh) <= 1 or len(fresh) > MAX_TRANSACTION:
            for item in items:
                await self.schedule(item)
            return
        table = await self._store.table("duework")
        async with storage_errors("scheduling due work"):
            try:
                await table.submit_transaction([("create", entity) for entity in fresh.values()])
                return
            except HttpResponseError as error:
                if error.status_code != 409:
                    raise
        for item in items:
            await self.schedule(item)

    async def due(self, now: datetime, limit: int = 100) -> list[DueItem]:
        table = await self._store.table("duework")
        ready: list[DueItem] = []
        async with storage_errors("reading due work"):
            rows = table.query_entities(
                "PartitionKey eq @pk and RowKey le @upper",
                parameters={"pk": te.DUE_PARTITION, "upper": te.due_upper_bound(now)},
                results_per_page=limit)
            async for entity in rows:
                item = te.due_from(entity, _etag(entity))
                if item.not_before is None or item.not_before <= now:
                    ready.append(item)
                    if len(ready) >= limit:
                        break
        return ready

    async def claim(self, item: DueItem, now: datetime, lease: timedelta) -> DueItem | None:
        claimed = replace(item, attempts=item.attempts + 1, not_before=now + lease)
        return await self._conditional_update(claimed, item.tag)

    async def retry_later(self, item: DueItem, not_before: datetime) -> None:
        if await self._conditional_update(replace(item, not_before=not_before), item.tag) is None:
            raise ConcurrencyConflict(f"{item.kind} for {item.incident_id} was claimed by another run")

    async def _conditional_update(self, item: DueItem, tag: str) -> DueItem | None:
        table = await self._store.table("duework")
        async with storage_errors("updating due work"):
            try:
                result = await table.update_entity(
                    te.due_entity(item), mode=UpdateMode.REPLACE, etag=tag,
                    match_condition=MatchConditions.IfNotModified)
            except (ResourceModifiedError, ResourceNotFoundError):
                return None
        return replace(item, tag=str(result["etag"]))

    async def complete(self, item: DueItem) -> None:
        table = await self._store.table("duework")
        async with storage_errors("completing due work"):
            try:
                await table.delete_entity(te.DUE_PARTITION, te.due_row(item), etag=item.tag,
                                          match_condition=MatchConditions.IfNotModified)
            except (ResourceModifiedError, ResourceNotFoundError):
                pass  # someone else completed or re-claimed it


class TableConversationReferenceRepository:
    def __init__(self, store: TableStore) -> None:
        self._store = store

    async def put(self, owner: str, purpose: str, reference: Mapping[str, Any]) -> None:
        table = await self._store.table("conversations")
        async with storage_errors("storing a conversation reference"):
            await table.upsert_entity({
                "PartitionKey": te.safe_key(owner), "RowKey": te.conversation_row(owner, purpose),
                "Purpose": purpose, "Reference": json.dumps(dict(reference)),
            }, mode=UpdateMode.REPLACE)

    async def get(self, owner: str, purpose: str) -> dict[str, Any] | None:
        table = await self._store.table("conversations")
        async with storage_errors("reading a conversation reference"):
            try:
                entity = await table.get_entity(te.safe_key(owner), te.conversation_row(owner, purpose))
            except ResourceNotFoundError:
                return None
        return dict(json.loads(entity["Reference"]))

    async def list_for(self, owner: str) -> dict[str, dict[str, Any]]:
        table = await self._store.table("conversations")
        async with storage_errors("reading conversation references"):
            rows = table.query_entities("PartitionKey eq @pk", parameters={"pk": te.safe_key(owner)})
            return {e["Purpose"]: json.loads(e["Reference"]) async for e in rows}


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
                    await table.update_entity(fresh, mode=UpdateMode.REPLACE, etag=_etag(existing),
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
                    await table.delete_entity(partition, row, etag=_etag(existing),
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
