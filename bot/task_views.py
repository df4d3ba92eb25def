"""Tasks on cards: the incident card's list of open tasks with Done and Reassign, and the resolve form's
choice per open task (carry over as a follow-up, or drop with a reason)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from adapters.templates import markdown_escape
from bot.actions import choice_input, execute, show_card, text_input
from bot.locale import Translator
from incident.model import Incident
from incident.policy import OrganisationPolicy
from incident.tasks import CARRY, DROP, MAX_REASON, Task, shown_due, zone_of

TASKS_BUDGET = 9_000  # bytes of the incident card the task list may take (Teams refuses cards over 28 KB)


def _line(task: Task, incident: Incident, policy: OrganisationPolicy, t: Translator, now: datetime) -> str:
    due = ""
    if task.due_at is not None:
        due = t("task.due", due=shown_due(task.due_at, zone_of(policy, incident.severity)))
        due += f" **{t('task.overdue')}**" if task.is_overdue(now) else ""
    return f"#{task.number} {markdown_escape(task.text)} — {markdown_escape(task.owner.name)}{due}"


def task_items(incident: Incident, policy: OrganisationPolicy, t: Translator, now: datetime,
               people: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The open tasks, compact, each with Done and Reassign (a picker of ``people``); past the budget,
    "and N more" (``task list`` or the document shows them all)."""
    open_tasks = [task for task in incident.tasks if task.is_open]
    if not open_tasks:
        return []
    items: list[dict[str, Any]] = [{"type": "TextBlock", "text": t("task.heading", count=len(open_tasks)),
                                    "weight": "Bolder", "wrap": True, "spacing": "Medium"}]
    used = 0
    for shown, task in enumerate(open_tasks):
        data = {"incident_id": incident.id, "number": task.number}
        line = _line(task, incident, policy, t, now)
        owner = choice_input("task_owner", t("task.new_owner"), people, value=task.owner.id, required=True,
                             filtered=True, error_message=t("task.new_owner"))
        pair: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": line, "wrap": True, "spacing": "Small"},
            {"type": "ActionSet", "actions": [
                execute(t("task.done_button"), "task.done", data),
                show_card(t("task.reassign_button"), [owner], [execute(t("action.send"), "task.reassign", data)])]}]
        used += len(json.dumps(pair).encode())
        if used > TASKS_BUDGET:
            items.append({"type": "TextBlock", "text": t("task.more", count=len(open_tasks) - shown),
                          "isSubtle": True, "wrap": True})
            break
        items += pair
    return items


def resolve_task_fields(incident: Incident, t: Translator, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Per open task: carry it over as a follow-up (the default) or drop it, and why."""
    fields: list[dict[str, Any]] = []
    for task in (task for task in incident.tasks if task.is_open):
        label = t("resolve.task", number=task.number, text=task.text, owner=task.owner.name)
        fields.append(choice_input(f"task_{task.number}", label, [(CARRY, t("resolve.task_carry")),
                                                                   (DROP, t("resolve.task_drop"))],
                                   value=str(values.get(f"task_{task.number}", CARRY))))
        fields.append(text_input(f"task_{task.number}_reason", t("resolve.task_reason"),
                                 value=str(values.get(f"task_{task.number}_reason", "")), max_length=MAX_REASON))
    if fields:
        fields.insert(0, {"type": "TextBlock", "text": t("resolve.tasks"), "weight": "Bolder", "wrap": True})
    return fields
