"""How an incident's postmortem and follow-ups are kept in Table Storage: rows in the incident's partition,
written in the incident's own transaction, plus an index partition of open follow-ups for leadership.

Row keys start with the incident id (unique across partitions, see ``table_entities``): ``{id}~pm`` holds the
postmortem and ``{id}~pm-fu-0001`` ... the follow-ups, so one range read (``~pm`` up to ``~pn``) loads them.
The summary row's ``Postmortem`` flag says whether that read is needed at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from adapters.table_entities import person_data, person_from, person_json, utc
from incident.model import Incident
from incident.postmortem import FollowUp, Postmortem

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient

FOLLOW_UP_INDEX_PARTITION = "~followups"  # one row per follow-up not yet done: the digest's one query
FOLLOW_UP_KINDS = frozenset({"follow_up_added", "follow_up_done"})


def postmortem_row(incident_id: str) -> str:
    return f"{incident_id}~pm"


def follow_up_row(incident_id: str, number: int) -> str:
    return f"{incident_id}~pm-fu-{number:04d}"


def _time(value: Any) -> datetime | None:
    return utc(value) if isinstance(value, datetime) else None


def _required_time(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"a stored postmortem time is missing or not a time: {value!r}")
    return utc(value)


def _drop_empty(entity: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entity.items() if v is not None and v != ""}


def postmortem_entities(incident: Incident) -> list[dict[str, Any]]:
    """The postmortem row (when there is one) and one row per follow-up (a resolved incident may have follow-ups
    without a postmortem)."""
    pm = incident.postmortem
    rows = [] if pm is None else [_drop_empty({
        "PartitionKey": incident.id, "RowKey": postmortem_row(incident.id),
        "Owner": person_json(pm.owner), "OpenedAt": pm.opened_at, "DueAt": pm.due_at,
        "Summary": pm.summary, "Impact": pm.impact, "WentWell": pm.went_well, "WentWrong": pm.went_wrong,
        "GotLucky": pm.got_lucky, "Factors": json.dumps(list(pm.contributing_factors)),
        "CompletedAt": pm.completed_at, "CompletedBy": person_json(pm.completed_by),
    })]
    rows += [_drop_empty({
        "PartitionKey": incident.id, "RowKey": follow_up_row(incident.id, f.number), "Number": f.number,
        "Title": f.title, "Owner": person_json(f.owner), "DueAt": f.due_at, "CreatedAt": f.created_at,
        "Link": f.link, "TrackerUrl": f.tracker_url, "TrackerState": f.tracker_state, "DoneAt": f.done_at,
    }) for f in incident.follow_ups]
    return rows


def attach(incident: Incident, entities: Iterable[Mapping[str, Any]]) -> None:
    """Fill ``incident.postmortem`` and ``incident.follow_ups`` from their rows."""
    follow_ups: list[FollowUp] = []
    for entity in entities:
        owner = person_from(entity.get("Owner"))
        if owner is None:
            continue
        if entity["RowKey"] == postmortem_row(incident.id):
            incident.postmortem = Postmortem(
                owner=owner, opened_at=_required_time(entity.get("OpenedAt")),
                due_at=_required_time(entity.get("DueAt")), summary=entity.get("Summary", ""),
                impact=entity.get("Impact", ""), went_well=entity.get("WentWell", ""),
                went_wrong=entity.get("WentWrong", ""), got_lucky=entity.get("GotLucky", ""),
                contributing_factors=tuple(json.loads(entity.get("Factors") or "[]")),
                completed_at=_time(entity.get("CompletedAt")), completed_by=person_from(entity.get("CompletedBy")))
        else:
            follow_ups.append(FollowUp(
                number=int(entity["Number"]), title=entity.get("Title", ""), owner=owner,
                due_at=_required_time(entity.get("DueAt")), created_at=_required_time(entity.get("CreatedAt")),
                link=entity.get("Link", ""), tracker_url=entity.get("TrackerUrl", ""),
                tracker_state=entity.get("TrackerState", ""), done_at=_time(entity.get("DoneAt"))))
    incident.follow_ups = tuple(sorted(follow_ups, key=lambda f: f.number))


async def load(table: TableClient, incident: Incident) -> None:
    """One range read of the incident's postmortem rows."""
    rows = table.query_entities("PartitionKey eq @pk and RowKey ge @lower and RowKey lt @upper", parameters={
        "pk": incident.id, "lower": postmortem_row(incident.id), "upper": f"{incident.id}~pn"})
    attach(incident, [entity async for entity in rows])


def index_entity(incident: Incident, follow_up: FollowUp) -> dict[str, Any]:
    return {"PartitionKey": FOLLOW_UP_INDEX_PARTITION, "RowKey": follow_up_row(incident.id, follow_up.number),
            "IncidentId": incident.id, "DueAt": follow_up.due_at,
            "Owner": json.dumps(person_data(follow_up.owner))}
