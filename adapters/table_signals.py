"""Stored signals on Azure Table Storage: a conditional insert per notification, repeats counted in place.

Each signal is one row in a partition of its own hash (the first two hex digits of the key's digest), so
an alert storm spreads over 256 partitions and a repeat costs a point read and a conditional merge in the
signal's partition: never a transaction in a shared one. Groups are rows of a second table, keyed the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from adapters import table_entities as te
from adapters.table_storage import TableStore, etag_of, put_under_tag, storage_errors
from incident.errors import ConcurrencyConflict
from incident.signals import GroupOpen, Signal, SignalState, StoredSignal

COUNT_ATTEMPTS = 30  # deliveries of one alert counted at the same moment take turns


def _keys(key: str) -> tuple[str, str]:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return digest[:2], digest


def _entity(stored: StoredSignal) -> dict[str, Any]:
    s = stored.signal
    partition, row = _keys(s.key)
    return {"PartitionKey": partition, "RowKey": row, "Source": s.source, "Fingerprint": s.fingerprint[:1000],
            "Notification": s.notification[:1000], "State": s.state.value, "Summary": s.summary,
            "ReceivedAt": s.received_at, "SourceSeverity": s.source_severity[:100], "Service": s.service[:200],
            "Links": json.dumps(list(s.links)), "Labels": json.dumps(dict(s.labels)),
            "Description": s.description, "Severity": stored.severity, "Deliveries": stored.deliveries,
            "Outcome": stored.outcome, "IncidentId": stored.incident_id}


def _stored(entity: Any) -> StoredSignal:
    signal = Signal(source=entity["Source"], fingerprint=entity["Fingerprint"], notification=entity["Notification"],
                    state=SignalState(entity["State"]), summary=entity["Summary"],
                    received_at=te.utc(entity["ReceivedAt"]), source_severity=entity.get("SourceSeverity", ""),
                    service=entity.get("Service", ""), links=tuple(json.loads(entity.get("Links", "[]"))),
                    labels=json.loads(entity.get("Labels", "{}")), description=entity.get("Description", ""))
    return StoredSignal(signal, entity.get("Severity", ""), int(entity.get("Deliveries", 1)),
                        entity.get("Outcome", ""), entity.get("IncidentId", ""))


class TableSignalRepository:
    def __init__(self, store: TableStore) -> None:
        self._store = store

    async def record(self, stored: StoredSignal) -> tuple[bool, StoredSignal]:
        table = await self._store.table("signals")
        partition, row = _keys(stored.signal.key)
        async with storage_errors("storing an alert"):
            for _ in range(COUNT_ATTEMPTS):
                try:
                    existing = await table.get_entity(partition, row)
                except ResourceNotFoundError:
                    try:
                        await table.create_entity(_entity(stored))
                        return True, stored
                    except ResourceExistsError:
                        continue  # another delivery stored it first: count this one
                deliveries = int(existing.get("Deliveries", 1)) + 1
                try:
                    await table.update_entity({"PartitionKey": partition, "RowKey": row, "Deliveries": deliveries},
                                              mode=UpdateMode.MERGE, etag=etag_of(existing),
                                              match_condition=MatchConditions.IfNotModified)
                except ResourceModifiedError:
                    await asyncio.sleep(random.uniform(0, 0.02))
                    continue
                existing["Deliveries"] = deliveries
                return False, _stored(existing)
        raise ConcurrencyConflict("this alert is being delivered too many times at once; it is stored, try again")

    async def get(self, key: str) -> StoredSignal | None:
        table = await self._store.table("signals")
        partition, row = _keys(key)
        async with storage_errors("reading an alert"):
            try:
                return _stored(await table.get_entity(partition, row))
            except ResourceNotFoundError:
                return None

    async def set_outcome(self, key: str, outcome: str, incident_id: str = "") -> None:
        table = await self._store.table("signals")
        partition, row = _keys(key)
        async with storage_errors("recording what became of an alert"):
            await table.update_entity({"PartitionKey": partition, "RowKey": row, "Outcome": outcome[:1000],
                                       "IncidentId": incident_id}, mode=UpdateMode.MERGE)

    async def release(self, key: str) -> None:
        table = await self._store.table("signals")
        partition, row = _keys(key)
        async with storage_errors("releasing an alert"):
            try:
                existing = await table.get_entity(partition, row)
                if not existing.get("Outcome"):
                    await table.delete_entity(partition, row, etag=etag_of(existing),
                                              match_condition=MatchConditions.IfNotModified)
            except (ResourceNotFoundError, ResourceModifiedError):
                pass  # gone, or counted or finished meanwhile: the next delivery decides

    async def since(self, at: datetime) -> list[StoredSignal]:
        table = await self._store.table("signals")
        found = []
        async with storage_errors("listing alerts"):
            async for entity in table.query_entities("ReceivedAt ge @at", parameters={"at": at}):
                found.append(_stored(entity))
        return sorted(found, key=lambda s: s.signal.received_at)

    async def group(self, key: str) -> tuple[GroupOpen | None, str]:
        table = await self._store.table("alertgroups")
        partition, row = _keys(key)
        async with storage_errors("reading an alert group"):
            try:
                entity = await table.get_entity(partition, row)
            except ResourceNotFoundError:
                return None, ""
        return (GroupOpen(entity["IncidentId"], te.utc(entity["OpenedAt"]), te.utc(entity["LastAt"])),
                etag_of(entity))

    async def save_group(self, key: str, group: GroupOpen, tag: str) -> None:
        table = await self._store.table("alertgroups")
        partition, row = _keys(key)
        entity = {"PartitionKey": partition, "RowKey": row, "IncidentId": group.incident_id,
                  "OpenedAt": group.opened_at, "LastAt": group.last_at}
        async with storage_errors("recording an alert group"):
            await put_under_tag(table, entity, tag, f"the alert group {key[:60]!r} changed meanwhile")
