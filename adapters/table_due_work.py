"""Due work (timer items) on Azure Table Storage: one partition, read by a range on the due-time key and
claimed by conditional updates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import UpdateMode

from adapters import table_entities as te
from adapters.table_storage import MAX_TRANSACTION, TableStore, etag_of, storage_errors
from incident.errors import ConcurrencyConflict
from services.ports import DueItem


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
                item = te.due_from(entity, etag_of(entity))
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
