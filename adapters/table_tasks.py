"""How an incident's tasks are kept in Table Storage: one JSON property (``Tasks``) of its summary row, written
in the incident's own transaction. The domain caps them (incident/tasks.py: 25 tasks of 200 characters), so
the property stays well under Table Storage's 64 KiB."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.table_entities import person_data, person_of, utc
from incident.model import Incident
from incident.tasks import Task


def _time(text: str | None) -> datetime | None:
    return utc(datetime.fromisoformat(text)) if text else None


def _task_data(task: Task) -> dict[str, Any]:
    data: dict[str, Any] = {"n": task.number, "text": task.text, "owner": person_data(task.owner),
                            "at": task.created_at.isoformat()}
    optional = {"due": task.due_at and task.due_at.isoformat(), "done": task.done_at and task.done_at.isoformat(),
                "dropped": task.dropped, "follow_up": task.follow_up}
    return data | {k: v for k, v in optional.items() if v}


def with_tasks(entity: dict[str, Any], incident: Incident) -> dict[str, Any]:
    """The summary row with its ``Tasks`` (absent when there are none, so REPLACE clears them)."""
    return entity | ({"Tasks": json.dumps([_task_data(t) for t in incident.tasks])} if incident.tasks else {})


def attach(incident: Incident, entity: Mapping[str, Any]) -> None:
    """Fill ``incident.tasks`` from the summary row."""
    incident.tasks = tuple(Task(
        number=int(d["n"]), text=str(d["text"]), owner=person_of(d["owner"]),
        created_at=_time(d["at"]) or incident.declared_at, due_at=_time(d.get("due")),
        done_at=_time(d.get("done")), dropped=str(d.get("dropped", "")), follow_up=int(d.get("follow_up", 0)),
    ) for d in json.loads(entity.get("Tasks") or "[]"))
