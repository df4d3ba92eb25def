"""Teams conversation references on Azure Table Storage, one row per owner and purpose."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from adapters import table_entities as te
from adapters.table_storage import TableStore, storage_errors


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
