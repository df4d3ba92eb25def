"""The scheduled maintenance windows on Azure Table Storage: a partition of the status page's table, one row
per window, read in one parameterised query when the page is built."""

from __future__ import annotations

import json
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from adapters import table_entities as te
from adapters.table_storage import TableStore, storage_errors
from incident.maintenance import MaintenanceWindow

PARTITION = "maintenance"
TABLE = "statuspage"  # beside the public records (adapters/table_public_records.py), another partition


def window_entity(window: MaintenanceWindow) -> dict[str, Any]:
    entity = {"PartitionKey": PARTITION, "RowKey": te.safe_key(window.id), "WindowId": window.id,
              "Title": window.title, "Description": window.description,
              "Components": json.dumps(list(window.components)), "StartsAt": window.starts_at,
              "EndsAt": window.ends_at, "ScheduledBy": te.person_json(window.scheduled_by),
              "ScheduledAt": window.scheduled_at, "CancelledAt": window.cancelled_at}
    return {k: v for k, v in entity.items() if v is not None}


def window_from(entity: Any) -> MaintenanceWindow:
    cancelled = entity.get("CancelledAt")
    return MaintenanceWindow(
        id=entity["WindowId"], title=entity["Title"], description=entity.get("Description") or "",
        components=tuple(json.loads(entity.get("Components") or "[]")), starts_at=te.utc(entity["StartsAt"]),
        ends_at=te.utc(entity["EndsAt"]), scheduled_by=te.person_of(json.loads(entity["ScheduledBy"])),
        scheduled_at=te.utc(entity["ScheduledAt"]),
        cancelled_at=te.utc(cancelled) if cancelled else None)


class TableMaintenanceWindows:
    def __init__(self, store: TableStore) -> None:
        self._store = store

    async def put(self, window: MaintenanceWindow) -> None:
        table = await self._store.table(TABLE)
        async with storage_errors(f"keeping maintenance window {window.id}"):
            await table.upsert_entity(window_entity(window), mode=UpdateMode.REPLACE)

    async def get(self, window_id: str) -> MaintenanceWindow | None:
        table = await self._store.table(TABLE)
        async with storage_errors(f"reading maintenance window {window_id}"):
            try:
                return window_from(await table.get_entity(PARTITION, te.safe_key(window_id)))
            except ResourceNotFoundError:
                return None

    async def remove(self, window_id: str) -> None:
        table = await self._store.table(TABLE)
        async with storage_errors(f"removing maintenance window {window_id}"):
            try:
                await table.delete_entity(PARTITION, te.safe_key(window_id))
            except ResourceNotFoundError:
                pass

    async def all(self) -> list[MaintenanceWindow]:
        table = await self._store.table(TABLE)
        async with storage_errors("reading the maintenance windows"):
            return [window_from(e) async for e in table.query_entities(
                "PartitionKey eq @pk", parameters={"pk": PARTITION}, results_per_page=1000)]
