"""The records the status page is built from, on Azure Table Storage: one partition, one row per published
incident, so a publication reads them all in one query; a newer record (its version) is never overwritten by
an older one, checked with the row's ETag."""

from __future__ import annotations

import json
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from adapters import table_entities as te
from adapters.table_storage import TableStore, etag_of, storage_errors
from incident.errors import ConcurrencyConflict
from incident.lifecycle import Status
from incident.status_page import PublicRecord

PARTITION = "public"
ATTEMPTS = 5


def record_entity(record: PublicRecord) -> dict[str, Any]:
    return {"PartitionKey": PARTITION, "RowKey": te.safe_key(record.id), "IncidentId": record.id,
            "Public": te.public_json(record.public), "Status": record.status.value, "Severity": record.severity,
            "Services": json.dumps(list(record.services)), "DeclaredAt": record.declared_at,
            "ResolvedAt": record.resolved_at, "Version": record.version}


def record_from(entity: Any) -> PublicRecord:
    resolved = entity.get("ResolvedAt")
    return PublicRecord(id=entity["IncidentId"], public=te.public_from(entity.get("Public")),
                        status=Status(entity["Status"]), severity=entity["Severity"],
                        services=tuple(json.loads(entity.get("Services") or "[]")),
                        declared_at=te.utc(entity["DeclaredAt"]), resolved_at=te.utc(resolved) if resolved else None,
                        version=int(entity["Version"]))


class TablePublicRecords:
    def __init__(self, store: TableStore) -> None:
        self._store = store

    async def put(self, record: PublicRecord) -> None:
        table = await self._store.table("statuspage")
        entity = {k: v for k, v in record_entity(record).items() if v is not None}
        for _ in range(ATTEMPTS):
            async with storage_errors(f"keeping the public record of {record.id}"):
                try:
                    stored = await table.get_entity(PARTITION, te.safe_key(record.id))
                except ResourceNotFoundError:
                    stored = None
                if stored is not None and int(stored["Version"]) >= record.version:
                    return
                try:
                    if stored is None:
                        await table.create_entity(entity)
                    else:
                        await table.update_entity(entity, mode=UpdateMode.REPLACE, etag=etag_of(stored),
                                                  match_condition=MatchConditions.IfNotModified)
                    return
                except (ResourceExistsError, ResourceModifiedError):
                    continue  # another process stored one meanwhile: compare again
        raise ConcurrencyConflict(f"the public record of {record.id} kept changing; trying again later")

    async def remove(self, incident_id: str) -> None:
        table = await self._store.table("statuspage")
        async with storage_errors(f"removing the public record of {incident_id}"):
            try:
                await table.delete_entity(PARTITION, te.safe_key(incident_id))
            except ResourceNotFoundError:
                pass  # never kept, or removed already

    async def all(self) -> list[PublicRecord]:
        table = await self._store.table("statuspage")
        async with storage_errors("reading the status page's records"):
            return [record_from(e) async for e in table.query_entities(
                "PartitionKey eq @pk", parameters={"pk": PARTITION}, results_per_page=1000)]
