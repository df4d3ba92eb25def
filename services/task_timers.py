"""Tasks and the clock: each task with a due time gets one reminder to its owner when due, and the daily
stale-incident check names the overdue ones.

A task's item names it as its subject, so two tasks due at once keep an item each; the reminder is claimed
under the task and its due time (services/once.py), so a retry after a crash between telling and completing
the item does not tell the owner twice. Items are hints: a task done, settled or closed by then says nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from incident.errors import DevopsbotError
from incident.model import Incident, TimelineEvent
from incident.tasks import Task
from services.once import once
from services.outbox import DELIVERY_KEY
from services.ports import Alert, DueItem
from services.timer_work import Next

if TYPE_CHECKING:
    from services.bus import Dependencies, MessageBus, Reaction

TASK_DUE = "task_due"
REMINDER_LEASE = timedelta(minutes=5)  # longer than one Teams message takes; a crashed claim is taken over


def _when(task: Task) -> str:
    return f"{task.due_at:%Y-%m-%d %H:%M} UTC" if task.due_at else ""


def overdue_tasks(incident: Incident, now: datetime) -> tuple[Task, ...]:
    return tuple(t for t in incident.tasks if t.is_overdue(now))


async def schedule_task_reminders(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """A due task added: its one reminder, at its due time."""
    added = {int(e.after.get("number", "0")) for e in events if e.kind == "task_added"}
    await deps.due_work.schedule_many([
        DueItem(TASK_DUE, incident.id, t.due_at, {"number": str(t.number)}, subject=f"task-{t.number}")
        for t in incident.tasks if t.number in added and t.due_at is not None])


async def remind_task_owner(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    """The owner, as the task stands now (reassigned: the new owner), is told once."""
    deps = bus.dependencies
    number = int(item.payload.get("number", "0") or 0)
    task = next((t for t in incident.tasks if t.number == number), None)
    if task is None or not task.is_open or task.due_at is None:
        return Next()
    key = f"{TASK_DUE}:{incident.id}:{number}:{task.due_at.isoformat()}"
    token = DELIVERY_KEY.set(key)  # the email standing in for Teams is this task's, not the tick's
    try:
        async with once(deps.idempotency, key, now, REMINDER_LEASE, release_on=(DevopsbotError, OSError)) as claim:
            if claim.owned:
                await deps.notifier.alert(incident, Alert(TASK_DUE, (task.owner,), {
                    "number": str(number), "text": task.text, "due": _when(task)}))
    finally:
        DELIVERY_KEY.reset(token)
    return Next()  # one reminder per task: no successor


async def tell_overdue_tasks(incident: Incident, deps: Dependencies, now: datetime) -> None:
    """Part of the stale-incident flag: the overdue tasks, their owners @mentioned."""
    late = overdue_tasks(incident, now)
    if late:
        listed = "; ".join(f"#{t.number} {t.text} ({_when(t)})" for t in late[:10])
        more = f" (+{len(late) - 10})" if len(late) > 10 else ""
        owners = tuple({t.owner.id: t.owner for t in late}.values())
        await deps.notifier.alert(incident, Alert("tasks_overdue", owners, {"tasks": listed + more}))


def task_reactions(refresh_cards: Reaction) -> dict[str, Sequence[Reaction]]:
    """Event kind → what follows it; the other task events refresh the cards as any change does."""
    return {"task_added": (refresh_cards, schedule_task_reminders)}


TASK_WORK = {TASK_DUE: remind_task_owner}
