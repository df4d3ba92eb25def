"""What every repository on Azure Table Storage (azure-data-tables, async; Azurite locally) shares: the
tables, created on first use, and the mapping of transport failures and conflicts to the domain's errors.
Each table's entities are read and written by the lean client of ``adapters.table_http`` (the SDK's
TableClient interface and behaviour, a third of its CPU); the SDK's TableServiceClient creates and lists tables.

One repository per module: ``table_incidents``, ``table_due_work``, ``table_conversations``,
``table_idempotency``, ``table_roster``, ``table_playbooks``, ``table_operations``. Keys are designed for
the one query each record needs (see ``table_entities``): an incident's rows share its partition and every
change is one entity-group transaction guarded by the ETag; open incidents, sequences and due work have
partitions of their own, read by point or range reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)

from incident.errors import ConcurrencyConflict, StorageUnavailable

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient, TableServiceClient

MAX_TRANSACTION = 100  # Table Storage's limit of operations in one entity-group transaction


@asynccontextmanager
async def storage_errors(what: str, service: str = "Table Storage") -> AsyncIterator[None]:
    """Turn transport failures and server errors into StorageUnavailable; let the rest through."""
    try:
        yield
    except (ResourceNotFoundError, ResourceExistsError, ResourceModifiedError):
        raise
    except HttpResponseError as error:
        if error.status_code in (401, 403):
            raise StorageUnavailable(f"{service} refused access while {what} ({error.status_code}): check "
                                     "the connection string's key or the managed identity's role") from error
        raise StorageUnavailable(f"{service} failed while {what}: {error.status_code} {error.reason}") from error
    except AzureError as error:
        raise StorageUnavailable(f"{service} is unreachable while {what}: {type(error).__name__}") from error


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

    def __init__(self, service: TableServiceClient, prefix: str, options: Mapping[str, Any] | None = None) -> None:
        from adapters.table_http import lean_account

        self.service = service
        self.prefix = prefix
        self._tables: dict[str, TableClient] = {}
        self._lock = asyncio.Lock()
        # Entity operations go through the lean client (a third of the SDK's CPU per request) when it can sign
        # for the account; tables are created and listed by the SDK's service client.
        self.account = lean_account(service, options or {})

    def _client(self, full_name: str) -> TableClient:
        if self.account is None:
            return self.service.get_table_client(full_name)
        from adapters.table_http import LeanTableClient

        return cast("TableClient", LeanTableClient(self.account, full_name))

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
                self._tables[name] = self._client(full_name)
            return self._tables[name]

    async def open_existing(self) -> list[str]:
        """Clients for the tables of this prefix that exist already (one listing request), so the first request
        creates none of them: each creation is a round trip that storage answers 409, then an exception."""
        found = []
        async with storage_errors("listing tables"):
            async for item in self.service.list_tables():
                name = item.name[len(self.prefix):]
                if item.name.startswith(self.prefix) and name and name not in self._tables:
                    self._tables[name] = self._client(item.name)
                    found.append(name)
        return found

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
        if self.account is not None:
            await self.account.close()
        await self.service.close()


def etag_of(entity: Any) -> str:
    """The ETag a read handed out: the token a conditional update or delete checks."""
    return str(entity.metadata["etag"])


async def put_under_tag(table: TableClient, entity: dict[str, Any], tag: str, conflict: str) -> None:
    """Store ``entity`` whole: created when ``tag`` is "" (nothing was there when read), else replaced if it
    still has ``tag``. ConcurrencyConflict(``conflict``) when someone wrote it since it was read."""
    from azure.core import MatchConditions
    from azure.data.tables import UpdateMode

    try:
        if tag:
            await table.update_entity(entity, mode=UpdateMode.REPLACE, etag=tag,
                                      match_condition=MatchConditions.IfNotModified)
        else:
            await table.create_entity(entity)
    except (ResourceModifiedError, ResourceExistsError, ResourceNotFoundError):
        raise ConcurrencyConflict(conflict) from None

