"""Operational records on Table Storage: the audit log, Teams' health, small named state values.

Audit records take one partition per UTC day (row keys sort by time); a counted kind takes one row per
minute, its count raised under the row's ETag, with a few sample details. Teams' health is one small
partition holding the flag (a person's, or service health's with its issue; changed under its ETag), the
last success and recent failures (a range read by time).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from adapters import table_entities as te
from adapters.table_storage import TableStore, put_under_tag, storage_errors
from services.ports import AUDIT_SAMPLES, AuditRecord, TeamsFlag, TeamsStatus

log = logging.getLogger(__name__)
COUNT_ATTEMPTS = 20  # concurrent counters of one minute each retry on a changed ETag; past this, one is dropped

_HEALTH = "teams"
_FLAG, _SUCCESS, _FAILURE = "flag", "success", "failure-"


class TableAuditLog:
    def __init__(self, store: TableStore) -> None:
        self._store = store

    async def record(self, entry: AuditRecord) -> None:
        table = await self._store.table("audit")
        at = te.utc(entry.at)
        async with storage_errors("writing the audit log"):
            await table.create_entity({
                "PartitionKey": at.strftime("%Y-%m-%d"), "RowKey": f"{at.isoformat()}~{uuid.uuid4().hex}",
                "At": at, "Kind": entry.kind, "Detail": _json(dict(entry.detail))})

    async def count(self, entry: AuditRecord) -> None:
        table = await self._store.table("audit")
        minute = te.utc(entry.at).replace(second=0, microsecond=0)
        keys = {"PartitionKey": minute.strftime("%Y-%m-%d"),
                "RowKey": f"{minute.isoformat()}~count~{te.safe_key(entry.kind[:100])}"}
        detail = dict(entry.detail)
        async with storage_errors("counting in the audit log"):
            for _ in range(COUNT_ATTEMPTS):
                try:
                    current = await table.get_entity(keys["PartitionKey"], keys["RowKey"])
                except ResourceNotFoundError:
                    try:
                        await table.create_entity({**keys, "At": minute, "Kind": entry.kind, "Count": 1,
                                                   "Detail": _json(detail), "Samples": _json([detail])})
                        return
                    except ResourceExistsError:
                        continue  # another caller counted the minute's first: count on top of it
                samples = json.loads(current.get("Samples") or "[]")
                if len(samples) < AUDIT_SAMPLES:
                    samples.append(detail)
                try:
                    await table.update_entity({**keys, "Count": int(current.get("Count", 1)) + 1,
                                               "Samples": _json(samples)}, mode=UpdateMode.MERGE,
                                              etag=current.metadata["etag"],
                                              match_condition=MatchConditions.IfNotModified)
                    return
                except ResourceModifiedError:
                    continue
        # A count, not a record of anything done: losing one under extreme contention beats failing the refusal.
        log.warning("an audit count of %s was dropped: %d concurrent updates of one minute", entry.kind,
                    COUNT_ATTEMPTS)

    async def on_day(self, day: datetime) -> list[AuditRecord]:
        table = await self._store.table("audit")
        async with storage_errors("reading the audit log"):
            rows = table.query_entities("PartitionKey eq @pk", parameters={"pk": day.strftime("%Y-%m-%d")})
            found = [AuditRecord(te.utc(e["At"]), str(e["Kind"]), json.loads(e["Detail"]), int(e.get("Count", 1)),
                                 tuple(json.loads(e.get("Samples") or "[]"))) async for e in rows]
        return sorted(found, key=lambda r: r.at)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class TableTeamsHealth:
    """Failures older than ``window`` or before the last success stop counting: a Teams marked down by
    failures is tried again once they age out, while an admin's flag stays until cleared."""

    def __init__(self, store: TableStore, threshold: int = 5, window: timedelta = timedelta(minutes=10)) -> None:
        self._store, self.threshold, self.window = store, threshold, window

    async def status(self, now: datetime) -> TeamsStatus:
        table = await self._store.table("health")
        async with storage_errors("reading Teams' health"):
            rows = table.query_entities("PartitionKey eq @pk", parameters={"pk": _HEALTH})
            entities = {str(e["RowKey"]): e async for e in rows}
        flag = entities.get(_FLAG)
        if flag is not None and flag.get("Down"):
            return TeamsStatus(True, manual=True, reason=str(flag.get("Reason", "")), set_by=str(flag.get("By", "")),
                               issue=str(flag.get("Issue", "")))
        since = now - self.window
        success = entities.get(_SUCCESS)
        if success is not None:
            since = max(since, te.utc(success["At"]))
        recent = sum(1 for key, e in entities.items() if key.startswith(_FAILURE) and te.utc(e["At"]) > since)
        if recent >= self.threshold:
            return TeamsStatus(True, reason=f"{recent} failed sends to Teams within {self.window}",
                               recent_failures=recent)
        return TeamsStatus(False, recent_failures=recent)

    async def record_failure(self, now: datetime, reason: str) -> None:
        table = await self._store.table("health")
        at = te.utc(now)
        async with storage_errors("recording a Teams failure"):
            await table.create_entity({"PartitionKey": _HEALTH, "RowKey": f"{_FAILURE}{at.isoformat()}~"
                                       f"{uuid.uuid4().hex[:8]}", "At": at, "Reason": reason[:500]})
            # Old failures no longer count; keep the partition small. A key range bounds the read.
            old = table.query_entities("PartitionKey eq @pk and RowKey ge @low and RowKey lt @high",
                                       parameters={"pk": _HEALTH, "low": _FAILURE,
                                                   "high": f"{_FAILURE}{(at - 2 * self.window).isoformat()}"},
                                       select=["PartitionKey", "RowKey"])
            async for entity in old:
                try:
                    await table.delete_entity(_HEALTH, entity["RowKey"])
                except ResourceNotFoundError:
                    pass

    async def record_success(self, now: datetime) -> None:
        table = await self._store.table("health")
        async with storage_errors("recording a Teams success"):
            await table.upsert_entity({"PartitionKey": _HEALTH, "RowKey": _SUCCESS, "At": te.utc(now)},
                                      mode=UpdateMode.REPLACE)

    async def set_down(self, now: datetime, by: str, reason: str) -> None:
        await self._flag(now, by, down=True, reason=reason)

    async def set_up(self, now: datetime, by: str) -> None:
        await self._flag(now, by, down=False, reason="")
        await self.record_success(now)

    async def flag(self) -> tuple[TeamsFlag, str]:
        table = await self._store.table("health")
        async with storage_errors("reading Teams' health flag"):
            try:
                entity = await table.get_entity(_HEALTH, _FLAG)
            except ResourceNotFoundError:
                return TeamsFlag(), ""
        return TeamsFlag(bool(entity.get("Down")), str(entity.get("By", "")), str(entity.get("Reason", "")),
                         str(entity.get("Issue", ""))), str(entity.metadata["etag"])

    async def replace_flag(self, now: datetime, flag: TeamsFlag, tag: str) -> None:
        table = await self._store.table("health")
        entity = _flag_entity(now, flag)
        async with storage_errors("setting Teams' health flag"):
            await put_under_tag(table, entity, tag, "Teams' health flag changed since it was read")
        if not flag.down:
            await self.record_success(now)

    async def _flag(self, now: datetime, by: str, *, down: bool, reason: str) -> None:
        table = await self._store.table("health")
        flag = TeamsFlag(down, by, f"{reason} (set by {by})" if down else "")
        async with storage_errors("setting Teams' health flag"):
            await table.upsert_entity(_flag_entity(now, flag), mode=UpdateMode.REPLACE)


def _flag_entity(now: datetime, flag: TeamsFlag) -> dict[str, Any]:
    return {"PartitionKey": _HEALTH, "RowKey": _FLAG, "Down": flag.down, "At": te.utc(now), "By": flag.by[:200],
            "Reason": flag.reason[:500], "Issue": flag.issue[:100]}


class TableStateStore:
    def __init__(self, store: TableStore) -> None:
        self._store = store

    async def get(self, name: str) -> str | None:
        table = await self._store.table("state")
        async with storage_errors(f"reading {name}"):
            try:
                entity = await table.get_entity("state", te.safe_key(name))
            except ResourceNotFoundError:
                return None
        return str(entity["Value"])

    async def put(self, name: str, value: str) -> None:
        table = await self._store.table("state")
        async with storage_errors(f"storing {name}"):
            await table.upsert_entity({"PartitionKey": "state", "RowKey": te.safe_key(name), "Value": value},
                                      mode=UpdateMode.REPLACE)
