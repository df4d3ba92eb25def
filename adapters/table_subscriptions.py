"""Stakeholder subscriptions on Azure Table Storage: one partition per component (its subscribers are one
query when an update goes out), one row per address in it. Finding an address's rows across components is a
query on the ``Address`` property: the rare path (unsubscribing), never the mailing one. Every filter is
parameterised."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from adapters import table_entities as te
from adapters.table_storage import TableStore, storage_errors
from services.subscription_ports import Subscription

TABLE = "subscribers"
PAGE = 1000


def subscription_entity(s: Subscription) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": te.safe_key(s.component), "RowKey": te.safe_key(s.address), "Component": s.component,
        "Address": s.address, "Language": s.language, "Confirmed": s.confirmed, "Nonce": s.nonce,
        "PendingLanguage": s.pending_language, "RequestedAt": s.requested_at, "ConfirmedAt": s.confirmed_at}
    return {k: v for k, v in entity.items() if v is not None}


def _when(value: Any) -> datetime | None:
    return te.utc(value) if isinstance(value, datetime) else None


def subscription_from(entity: Any) -> Subscription:
    return Subscription(component=entity["Component"], address=entity["Address"],
                        language=entity.get("Language", "en"), confirmed=bool(entity.get("Confirmed")),
                        nonce=entity.get("Nonce", ""), pending_language=entity.get("PendingLanguage", "en"),
                        requested_at=_when(entity.get("RequestedAt")), confirmed_at=_when(entity.get("ConfirmedAt")))


class TableSubscriptions:
    def __init__(self, store: TableStore) -> None:
        self._store = store

    async def get(self, component: str, address: str) -> Subscription | None:
        table = await self._store.table(TABLE)
        async with storage_errors("reading a subscription"):
            try:
                return subscription_from(await table.get_entity(te.safe_key(component), te.safe_key(address)))
            except ResourceNotFoundError:
                return None

    async def put(self, subscription: Subscription) -> None:
        table = await self._store.table(TABLE)
        async with storage_errors("keeping a subscription"):
            await table.upsert_entity(subscription_entity(subscription), mode=UpdateMode.REPLACE)

    async def remove(self, component: str, address: str) -> None:
        table = await self._store.table(TABLE)
        async with storage_errors("removing a subscription"):
            try:
                await table.delete_entity(te.safe_key(component), te.safe_key(address))
            except ResourceNotFoundError:
                pass

    async def _query(self, what: str, text: str, parameters: dict[str, Any]) -> list[Subscription]:
        table = await self._store.table(TABLE)
        async with storage_errors(what):
            return [subscription_from(e) async for e in table.query_entities(
                text, parameters=parameters, results_per_page=PAGE)]

    async def of_component(self, component: str) -> list[Subscription]:
        return await self._query("reading a component's subscribers", "PartitionKey eq @pk",
                                 {"pk": te.safe_key(component)})

    async def of_address(self, address: str) -> list[Subscription]:
        return await self._query("reading an address's subscriptions", "Address eq @address", {"address": address})

    async def every(self) -> list[Subscription]:
        table = await self._store.table(TABLE)
        async with storage_errors("reading the subscriptions"):
            return [subscription_from(e) async for e in table.list_entities(results_per_page=PAGE)]
