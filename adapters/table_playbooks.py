"""Playbooks on Table Storage: one partition per service, so a service's versions are one query.

Rows: ``v000003`` a version (text in chunks, author, owner, last tested), written once and never
replaced; ``v000003~reviews`` its reviews, replaced under its ETag; ``audit~<instant>~v000003~<kind>``
the audit trail. A submit or a review writes its row and its audit row in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import UpdateMode

from adapters import table_entities as te
from adapters.shared_reads import SharedReads
from adapters.table_storage import TableStore, storage_errors, submit_guarded
from incident.errors import InvalidValue
from incident.playbook import AuditEvent, PlaybookVersion, Review

TABLE = "playbooks"
# Table Storage keeps strings up to 64 KiB of UTF-16 and entities up to 1 MiB. 16,000 characters stay under
# 64 KiB even when every one is an emoji (two UTF-16 units), and 32 pieces hold the largest playbook the
# configuration allows ([playbooks] max_kb <= 500: at most 500,000 characters, 1,000,000 bytes of UTF-16).
CHUNK = 16_000
MAX_CHUNKS = 32


def version_row(number: int) -> str:
    return f"v{number:06d}"


def _person(value: Any) -> Any:
    person = te.person_from(value)
    assert person is not None
    return person


def version_entity(version: PlaybookVersion) -> dict[str, Any]:
    chunks = [version.text[i:i + CHUNK] for i in range(0, len(version.text), CHUNK)] or [""]
    if len(chunks) > MAX_CHUNKS:
        raise InvalidValue("playbook", f"a playbook may have at most {MAX_CHUNKS * CHUNK} characters")
    return {"PartitionKey": te.safe_key(version.service), "RowKey": version_row(version.version), "Kind": "version",
            "Service": version.service, "Version": version.version, "Author": te.person_json(version.author),
            "SubmittedAt": te.utc(version.submitted_at), "Owner": version.owner,
            "LastTested": version.last_tested.isoformat(), "Chunks": len(chunks),
            **{f"Text{i}": chunk for i, chunk in enumerate(chunks)}}


def version_from(entity: Mapping[str, Any], reviews: tuple[Review, ...], tag: str) -> PlaybookVersion:
    text = "".join(str(entity.get(f"Text{i}", "")) for i in range(int(entity["Chunks"])))
    return PlaybookVersion(service=entity["Service"], version=int(entity["Version"]), text=text,
                           author=_person(entity["Author"]), submitted_at=te.utc(entity["SubmittedAt"]),
                           owner=entity["Owner"], last_tested=date.fromisoformat(entity["LastTested"]),
                           reviews=reviews, tag=tag)


def reviews_entity(version: PlaybookVersion) -> dict[str, Any]:
    return {"PartitionKey": te.safe_key(version.service), "RowKey": f"{version_row(version.version)}~reviews",
            "Kind": "reviews", "Reviews": json.dumps([
                {"by": te.person_data(r.by), "at": te.utc(r.at).isoformat(), "approved": r.approved,
                 "comment": r.comment} for r in version.reviews])}


def reviews_from(entity: Mapping[str, Any]) -> tuple[Review, ...]:
    from datetime import datetime

    return tuple(Review(te.person_of(r["by"]), datetime.fromisoformat(r["at"]), bool(r["approved"]),
                        str(r.get("comment", ""))) for r in json.loads(entity.get("Reviews") or "[]"))


def audit_entity(event: AuditEvent) -> dict[str, Any]:
    return {"PartitionKey": te.safe_key(event.service),
            "RowKey": f"audit~{te.utc(event.at):%Y%m%dT%H%M%S.%fZ}~{version_row(event.version)}~{event.kind}",
            "Kind": "audit", "Service": event.service, "Version": event.version, "Event": event.kind,
            "Actor": te.person_json(event.actor), "At": te.utc(event.at), "Detail": event.detail}


def audit_from(entity: Mapping[str, Any]) -> AuditEvent:
    return AuditEvent(service=entity["Service"], version=int(entity["Version"]), kind=entity["Event"],
                      actor=_person(entity["Actor"]), at=te.utc(entity["At"]), detail=str(entity.get("Detail", "")))


class TablePlaybookRepository:
    def __init__(self, store: TableStore) -> None:
        self._store = store
        self._shared: SharedReads[tuple[PlaybookVersion, ...]] = SharedReads()

    async def _rows(self, service: str, kind: str) -> list[dict[str, Any]]:
        table = await self._store.table(TABLE)
        async with storage_errors("reading playbooks"):
            rows = table.query_entities("PartitionKey eq @pk and Kind eq @kind",
                                        parameters={"pk": te.safe_key(service), "kind": kind})
            return [dict(e) | {"__etag": str(e.metadata["etag"])} async for e in rows]

    async def current_versions(self, service: str) -> tuple[PlaybookVersion, ...]:
        async def load() -> tuple[PlaybookVersion, ...]:
            return tuple(await self.versions(service))

        return await self._shared.read(service, load)

    async def versions(self, service: str) -> list[PlaybookVersion]:
        table = await self._store.table(TABLE)
        async with storage_errors("reading playbooks"):
            rows = table.query_entities("PartitionKey eq @pk and RowKey ge @lower and RowKey lt @upper",
                                        parameters={"pk": te.safe_key(service), "lower": "v", "upper": "w"})
            found = [dict(e) | {"__etag": str(e.metadata["etag"])} async for e in rows]
        reviews = {r["RowKey"].split("~")[0]: r for r in found if r.get("Kind") == "reviews"}
        versions = []
        for row in found:
            if row.get("Kind") != "version":
                continue
            review = reviews.get(row["RowKey"])
            versions.append(version_from(row, reviews_from(review) if review else (),
                                         review["__etag"] if review else ""))
        return sorted(versions, key=lambda v: v.version)

    async def add_version(self, version: PlaybookVersion, event: AuditEvent) -> None:
        await self._transaction(version, [("create", version_entity(replace(version, reviews=()))),
                                          ("create", audit_entity(event))],
                                f"{version.service} v{version.version} was submitted meanwhile; try again")

    async def save_reviews(self, version: PlaybookVersion, event: AuditEvent) -> None:
        guard: tuple[Any, ...] = ("create", reviews_entity(version)) if not version.tag else (
            "update", reviews_entity(version), {"mode": UpdateMode.REPLACE, "etag": version.tag,
                                                "match_condition": MatchConditions.IfNotModified})
        await self._transaction(version, [guard, ("create", audit_entity(event))],
                                f"{version.service} v{version.version} was reviewed meanwhile; try again")

    async def audit(self, service: str) -> list[AuditEvent]:
        return sorted((audit_from(r) for r in await self._rows(service, "audit")), key=lambda e: e.at)

    async def _transaction(self, version: PlaybookVersion, operations: list[Any], conflict: str) -> None:
        with self._shared.writing():
            await submit_guarded(await self._store.table(TABLE), operations,
                                 what=f"storing playbook {version.service}", conflict=conflict)
