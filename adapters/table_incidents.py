"""Incidents on Azure Table Storage: an incident's rows share its partition and every change is one
entity-group transaction guarded by the ETag (keys in ``table_entities``)."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import UpdateMode

from adapters import table_assessment as ta
from adapters import table_entities as te
from adapters import table_postmortem as tp
from adapters import table_tasks as tt
from adapters.table_storage import MAX_TRANSACTION, TableStore, etag_of, storage_errors
from incident.errors import ConcurrencyConflict, NotFound
from incident.lifecycle import Status
from incident.model import Incident, TimelineEvent
from services.ports import OutboxEntry

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient


log = logging.getLogger(__name__)
DECLARED_READS_AT_ONCE = 16  # point reads in flight when a report loads many incidents


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
                                              etag=etag_of(current),
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
            operations: list[Any] = [("create", tt.with_tasks(te.incident_entity(incident), incident))]
            await self._commit(table, incident, operations)

    async def save(self, incident: Incident) -> None:
        if not incident.pending:
            return
        table = await self._store.table("incidents")
        async with storage_errors(f"saving {incident.id}"):
            operations: list[Any] = [(
                "update", tt.with_tasks(te.incident_entity(incident), incident),
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
            incident = te.incident_from(entity, etag_of(entity))
            tt.attach(incident, entity)
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
