"""The roster on Table Storage: one partition per service, so "who holds R for S" is one partition read.

Rows of a service's partition (table ``<prefix>roster``):
- ``<role>``: the role's row (primary, delegates, rotation); the key the first roster used, so its
  data reads back unchanged;
- ``<role>~override~<start>``: an override, its start in the key (overlaps are refused, so it is unique);
- ``<role>~overrides``: a version counter, replaced under its ETag in the same transaction that adds an
  override, so two racing overrides of one role cannot both pass the overlap check.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from adapters import table_entities as te
from adapters.shared_reads import SharedReads
from adapters.table_storage import MAX_TRANSACTION, TableStore, storage_errors, submit_guarded
from incident.errors import InvalidValue
from incident.roster import Override, RosterEntry, Rotation, check_new_override
from services.ports import RosterPartition

TABLE = "roster"
# Table Storage allows at most 15 comparisons in one $filter: a query names at most this many partitions.
MAX_COMPARISONS = 15
ENTRY, OVERRIDE, VERSION = "entry", "override", "version"


def _kind(entity: Mapping[str, Any]) -> str:
    return str(entity.get("Kind") or ENTRY)  # rows of the first roster carry no kind: they are entries


def override_row(role: str, start: datetime) -> str:
    return te.safe_key(f"{role}~override~{te.utc(start):%Y%m%dT%H%M%SZ}")


def version_row(role: str) -> str:
    return te.safe_key(f"{role}~overrides")


def entry_entity(entry: RosterEntry) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": te.safe_key(entry.service), "RowKey": te.safe_key(entry.role), "Kind": ENTRY,
        "Service": entry.service, "Role": entry.role, "Primary": te.person_json(entry.primary),
        "Delegates": json.dumps([te.person_data(p) for p in entry.delegates]),
    }
    if entry.rotation is not None:
        r = entry.rotation
        entity["Rotation"] = json.dumps({"people": [te.person_data(p) for p in r.people], "weekday": r.weekday,
                                         "hour": r.hour, "timezone": r.timezone, "since": r.since.isoformat()})
    return entity


def entry_from(entity: Mapping[str, Any]) -> RosterEntry:
    rotation = None
    if entity.get("Rotation"):
        data = json.loads(entity["Rotation"])
        rotation = Rotation(tuple(te.person_of(p) for p in data["people"]), int(data["weekday"]),
                            int(data["hour"]), str(data["timezone"]), date.fromisoformat(data["since"]))
    return RosterEntry(service=entity["Service"], role=entity["Role"], primary=te.person_from(entity.get("Primary")),
                       delegates=tuple(te.person_of(d) for d in json.loads(entity.get("Delegates") or "[]")),
                       rotation=rotation)


def override_entity(override: Override) -> dict[str, Any]:
    return {
        "PartitionKey": te.safe_key(override.service), "RowKey": override_row(override.role, override.start),
        "Kind": OVERRIDE, "Service": override.service, "Role": override.role,
        "Person": te.person_json(override.person), "Start": te.utc(override.start), "End": te.utc(override.end),
        "CreatedBy": te.person_json(override.created_by), "Reason": override.reason,
    }


def override_from(entity: Mapping[str, Any]) -> Override:
    person = te.person_from(entity["Person"])
    assert person is not None
    return Override(service=entity["Service"], role=entity["Role"], person=person, start=te.utc(entity["Start"]),
                    end=te.utc(entity["End"]), created_by=te.person_from(entity.get("CreatedBy")),
                    reason=str(entity.get("Reason") or ""))


def _partition_of(service: str, rows: Sequence[dict[str, Any]]) -> RosterPartition:
    entries = sorted((entry_from(r) for r in rows if _kind(r) == ENTRY), key=lambda e: e.role)
    overrides = sorted((override_from(r) for r in rows if _kind(r) == OVERRIDE), key=lambda o: (o.role, o.start))
    return RosterPartition(service, tuple(entries), tuple(overrides))


class TableRosterRepository:
    def __init__(self, store: TableStore) -> None:
        self._store = store
        self._shared: SharedReads[list[RosterPartition]] = SharedReads()

    async def _rows(self, service: str) -> list[dict[str, Any]]:
        return (await self._rows_of([service]))[te.safe_key(service)]

    async def _rows_of(self, services: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The rows of each service's partition, by partition key: one query per MAX_COMPARISONS services
        (a roster holds a few rows per service, so even a service-spanning query reads little)."""
        keys = list(dict.fromkeys(te.safe_key(s) for s in services))
        found: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
        table = await self._store.table(TABLE)
        async with storage_errors("reading the roster"):
            for start in range(0, len(keys), MAX_COMPARISONS):
                chunk = keys[start:start + MAX_COMPARISONS]
                query = " or ".join(f"PartitionKey eq @p{n}" for n in range(len(chunk)))
                rows = table.query_entities(query, parameters={f"p{n}": key for n, key in enumerate(chunk)})
                async for e in rows:
                    found[e["PartitionKey"]].append(dict(e) | {"__etag": str(e.metadata["etag"])})
        return found

    async def put(self, entry: RosterEntry) -> None:
        table = await self._store.table(TABLE)
        with self._shared.writing():
            async with storage_errors("storing a roster entry"):
                await table.upsert_entity(entry_entity(entry), mode=UpdateMode.REPLACE)

    async def get(self, service: str, role: str) -> RosterEntry | None:
        table = await self._store.table(TABLE)
        async with storage_errors("reading the roster"):
            try:
                entity = await table.get_entity(te.safe_key(service), te.safe_key(role))
            except ResourceNotFoundError:
                return None
        return entry_from(entity)

    async def for_service(self, service: str) -> list[RosterEntry]:
        return list((await self.partition(service)).entries)

    async def delete(self, service: str, role: str) -> None:
        table = await self._store.table(TABLE)
        with self._shared.writing():
            async with storage_errors("deleting a roster entry"):
                try:
                    await table.delete_entity(te.safe_key(service), te.safe_key(role))
                except ResourceNotFoundError:
                    pass

    async def partition(self, service: str) -> RosterPartition:
        return _partition_of(service, await self._rows(service))

    async def partitions(self, services: Sequence[str]) -> list[RosterPartition]:
        async def load() -> list[RosterPartition]:
            by_key = await self._rows_of(services)
            return [_partition_of(service, by_key[te.safe_key(service)]) for service in services]

        return list(await self._shared.read(tuple(services), load))

    async def add_override(self, override: Override) -> None:
        rows = await self._rows(override.service)
        existing = [override_from(r) for r in rows if _kind(r) == OVERRIDE and r["Role"] == override.role]
        check_new_override(override, existing)
        version = next((r for r in rows if r["RowKey"] == version_row(override.role)), None)
        guard: tuple[Any, ...]
        counter = {"PartitionKey": te.safe_key(override.service), "RowKey": version_row(override.role),
                   "Kind": VERSION, "Version": int(version["Version"]) + 1 if version else 1}
        if version is None:
            guard = ("create", counter)
        else:
            guard = ("update", counter, {"mode": UpdateMode.REPLACE, "etag": version["__etag"],
                                         "match_condition": MatchConditions.IfNotModified})
        await self._transaction(override.service, [guard, ("create", override_entity(override))],
                                conflict="another override of this role was stored meanwhile; try again")

    async def remove_override(self, service: str, role: str, start: datetime) -> None:
        table = await self._store.table(TABLE)
        with self._shared.writing():
            async with storage_errors("removing an override"):
                try:
                    await table.delete_entity(te.safe_key(service), override_row(role, start))
                except ResourceNotFoundError:
                    pass

    async def replace_service(self, service: str, entries: Sequence[RosterEntry],
                              overrides: Sequence[Override], *, now: datetime) -> None:
        rows = await self._rows(service)
        operations = _replacement(service, rows, entries, [o for o in overrides if te.utc(o.end) > now])
        _check_size(service, operations)
        if operations:
            await self._transaction(service, operations, conflict=f"the roster of {service} changed meanwhile")

    async def check_replace(self, service: str, entries: Sequence[RosterEntry],
                            overrides: Sequence[Override], *, now: datetime) -> None:
        rows = await self._rows(service)
        _check_size(service, _replacement(service, rows, entries, [o for o in overrides if te.utc(o.end) > now]))

    async def restore_service(self, partition: RosterPartition) -> None:
        rows = await self._rows(partition.service)
        operations = _replacement(partition.service, rows, partition.entries, partition.overrides)
        # Putting back what was there must not fail for size: rows first, then deletions, then the guards.
        order = {"upsert": 0, "delete": 1}
        operations.sort(key=lambda op: order.get(op[0], 2))
        for at in range(0, len(operations), MAX_TRANSACTION):
            await self._transaction(partition.service, operations[at:at + MAX_TRANSACTION],
                                    conflict=f"the roster of {partition.service} changed meanwhile")

    async def _transaction(self, service: str, operations: list[Any], *, conflict: str) -> None:
        with self._shared.writing():
            await submit_guarded(await self._store.table(TABLE), operations,
                                 what=f"changing the roster of {service}", conflict=conflict)


def _replacement(service: str, rows: Sequence[Mapping[str, Any]], entries: Sequence[RosterEntry],
                 overrides: Sequence[Override]) -> list[Any]:
    """The operations making the partition ``rows`` exactly these entries and overrides, moving on the
    override guard of each role with an override before or after, as add_override does under its ETag."""
    wanted = [entry_entity(e) for e in entries] + [override_entity(o) for o in overrides]
    keep = {w["RowKey"] for w in wanted}
    operations: list[Any] = [("delete", {"PartitionKey": r["PartitionKey"], "RowKey": r["RowKey"]})
                             for r in rows if r["RowKey"] not in keep and _kind(r) != VERSION]
    operations += [("upsert", w, {"mode": UpdateMode.REPLACE}) for w in wanted]
    versions = {r["RowKey"]: r for r in rows if _kind(r) == VERSION}
    roles = {str(r["Role"]) for r in rows if _kind(r) == OVERRIDE} | {o.role for o in overrides}
    for role in sorted(roles):
        found = versions.get(version_row(role))
        counter = {"PartitionKey": te.safe_key(service), "RowKey": version_row(role), "Kind": VERSION,
                   "Version": int(found["Version"]) + 1 if found else 1}
        if found is None:
            operations.append(("create", counter))
        else:
            operations.append(("update", counter, {"mode": UpdateMode.REPLACE, "etag": found["__etag"],
                                                   "match_condition": MatchConditions.IfNotModified}))
    return operations


def _check_size(service: str, operations: Sequence[Any]) -> None:
    if len(operations) > MAX_TRANSACTION:
        raise InvalidValue("roster", f"{service} would need {len(operations)} changes at once; "
                                     f"the limit is {MAX_TRANSACTION}: split the file")
