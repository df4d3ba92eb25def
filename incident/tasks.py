"""An incident's tasks ("Ana: roll back release 42 by 10:30"): the task part of the incident aggregate.

Like the postmortem (``incident/postmortem_changes.py``), these are functions of the incident that validate,
change the part and record the change through the incident's timeline. A task belongs to any incident, of
any severity, until it is closed. At resolve each open task is carried over as a follow-up or dropped with a
reason (``settle_tasks``): nothing a person wrote down is lost without a word.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from incident import postmortem_changes
from incident.errors import IllegalTransition, InvalidValue
from incident.lifecycle import Status
from incident.people import Person
from incident.postmortem import FollowUp
from incident.timeline import Recorder, TimelineEvent, clean_text, require_aware

if TYPE_CHECKING:
    from incident.policy import OrganisationPolicy

MAX_TASKS = 25  # the summary row keeps them (adapters/table_tasks.py): bounded, so the row stays small
MAX_TASK_TEXT = 200
MAX_REASON = 200
MAX_DUE_TEXT = 40  # "by 10:30", "in 2h" or an ISO instant; longer is refused before it is read
MAX_IN = timedelta(days=30)  # "in …" further than this is a follow-up, not a task
BY_WORDS = frozenset({"by", "avant"})  # "by 10:30" / "avant 10:30"
IN_WORDS = frozenset({"in", "dans"})  # "in 30m" / "dans 30m"
UNITS = {"m": 1, "min": 1, "h": 60}
CARRY, DROP = "carry", "drop"  # what happens to an open task at resolve


@dataclass(frozen=True)
class Task:
    """Something one person does during the incident, maybe by a time. Closed by being done, carried over as
    follow-up ``follow_up``, or dropped with a reason."""

    number: int
    text: str
    owner: Person
    created_at: datetime
    due_at: datetime | None = None
    done_at: datetime | None = None
    dropped: str = ""  # the reason it was dropped at resolve
    follow_up: int = 0  # the follow-up it became at resolve

    @property
    def is_open(self) -> bool:
        return self.done_at is None and not self.dropped and not self.follow_up

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at is not None and now > self.due_at


class TaskSubject(Recorder, Protocol):
    """The incident as its tasks see it."""

    status: Status
    tasks: tuple[Task, ...]


def zone_of(policy: OrganisationPolicy, severity: str) -> ZoneInfo:
    """The time zone "by 10:30" is read in and due times are shown in: the organisation's, as its severity's
    coverage names it (UTC unless configured)."""
    return ZoneInfo(policy.severity(severity).coverage.timezone)


def shown_due(due_at: datetime, zone: ZoneInfo) -> str:
    return f"{due_at.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


# -- reading what someone typed ------------------------------------------------------------------------


def _clock(text: str) -> tuple[int, int] | None:
    """"10:30", "9:05" or "10h30" as (hour, minute); None otherwise."""
    hours, separator, minutes = text.replace("h", ":", 1).partition(":")
    if not separator or not (hours.isdigit() and minutes.isdigit()) or len(hours) > 2 or len(minutes) != 2:
        return None
    hour, minute = int(hours), int(minutes)
    return (hour, minute) if hour < 24 and minute < 60 else None


def _duration(text: str) -> timedelta | None:
    """"30m", "45min" or "2h" as a duration; None otherwise."""
    digits = len(text) - len(text.lstrip("0123456789"))
    number, unit = text[:digits], text[digits:].lower()
    if not number or len(number) > 5 or unit not in UNITS:
        return None
    return timedelta(minutes=int(number) * UNITS[unit])


def _instant(text: str, zone: ZoneInfo) -> datetime | None:
    """An ISO 8601 instant (a time without a zone is the organisation's); None when it is not one."""
    if len(text) < 16 or not text[:4].isdigit():
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=zone)


def due_from(word: str, value: str, now: datetime, zone: ZoneInfo) -> datetime:
    """When "by 10:30" (the next 10:30 in ``zone``), "in 30m"/"in 2h" (from now) or an ISO instant (``word``
    empty) falls. Bad text is InvalidValue saying what is understood."""
    require_aware(now)
    if len(value) > MAX_DUE_TEXT:
        raise InvalidValue("due", f"'{value[:20]}…' is too long for a time")
    keyword = word.lower()
    if keyword in BY_WORDS and (clock := _clock(value)) is not None:
        local = now.astimezone(zone)
        due = local.replace(hour=clock[0], minute=clock[1], second=0, microsecond=0)
        return due if due > local else due + timedelta(days=1)
    if keyword in IN_WORDS and (duration := _duration(value)) is not None:
        if not timedelta(0) < duration <= MAX_IN:
            raise InvalidValue("due", f"'{value}' is not between 1 minute and {MAX_IN.days} days")
        return now + duration
    if not keyword and (instant := _instant(value, zone)) is not None:
        return instant
    given = f"{word} {value}".strip()
    raise InvalidValue("due", f"'{given}' is not a time: write 'by 10:30', 'in 30m', 'in 2h' "
                              "or an ISO instant like 2026-12-01T10:30")


def split_due(text: str, now: datetime, zone: ZoneInfo) -> tuple[str, datetime | None]:
    """A task's text and its due time, read from the end of ``text`` ("… by 10:30", "… in 2h", "… <ISO>").
    One pass over the words; the size is capped first."""
    cleaned = clean_text("task", text, limit=MAX_TASK_TEXT + MAX_DUE_TEXT + 10, required=True)
    words = cleaned.split()
    last_is_time = len(words) >= 3 and (_clock(words[-1]) is not None or _duration(words[-1]) is not None)
    if last_is_time and words[-2].lower() in BY_WORDS | IN_WORDS:
        return " ".join(words[:-2]), due_from(words[-2], words[-1], now, zone)
    if len(words) >= 2 and _instant(words[-1], zone) is not None:
        return " ".join(words[:-1]), due_from("", words[-1], now, zone)
    return cleaned, None


# -- changes ---------------------------------------------------------------------------------------------


def _open_incident(incident: TaskSubject, what: str) -> None:
    if incident.status is Status.CLOSED:
        raise IllegalTransition(incident.id, incident.status.value, what, "the incident is closed")


def find_task(incident: TaskSubject, number: int) -> Task:
    for task in incident.tasks:
        if task.number == number:
            return task
    raise InvalidValue("task", f"{incident.id} has no task #{number}")


def _replace_task(incident: TaskSubject, updated: Task) -> None:
    incident.tasks = tuple(updated if t.number == updated.number else t for t in incident.tasks)


def _when(due_at: datetime | None) -> str:
    return f", due {due_at:%Y-%m-%d %H:%M %Z}" if due_at else ""


def add_task(incident: TaskSubject, *, text: str, owner: Person, actor: Person, at: datetime,
             due_at: datetime | None = None) -> TimelineEvent:
    """A new task, numbered from 1; its due time (if any) must be ahead."""
    require_aware(at)
    _open_incident(incident, "task added")
    if len(incident.tasks) >= MAX_TASKS:
        raise InvalidValue("tasks", f"an incident has at most {MAX_TASKS}; mark some done first")
    clean = clean_text("task", text, limit=MAX_TASK_TEXT, required=True)
    if due_at is not None and require_aware(due_at) <= at:
        raise InvalidValue("due", "must be in the future")
    task = Task(number=len(incident.tasks) + 1, text=clean, owner=owner, created_at=at, due_at=due_at)
    incident.tasks = (*incident.tasks, task)
    after = {"number": str(task.number), "owner": owner.name, **({"due": due_at.isoformat()} if due_at else {})}
    return incident.record(actor, at, "task_added", f"task #{task.number}: {clean} ({owner}{_when(due_at)})",
                           after=after)


def complete_task(incident: TaskSubject, *, number: int, actor: Person, at: datetime) -> TimelineEvent | None:
    """Done; a task already done (a second click) changes nothing."""
    require_aware(at)
    task = find_task(incident, number)
    if task.done_at is not None:
        return None
    if not task.is_open:
        raise InvalidValue("task", f"task #{number} was settled at resolve (carried over or dropped)")
    _open_incident(incident, "task done")
    _replace_task(incident, replace(task, done_at=at))
    return incident.record(actor, at, "task_done", f"task #{number} done: {task.text}", after={"number": str(number)})


def reassign_task(incident: TaskSubject, *, number: int, owner: Person, actor: Person,
                  at: datetime) -> TimelineEvent | None:
    require_aware(at)
    task = find_task(incident, number)
    if not task.is_open:
        raise InvalidValue("task", f"task #{number} is no longer open")
    if task.owner == owner:
        return None
    _open_incident(incident, "task reassigned")
    _replace_task(incident, replace(task, owner=owner))
    return incident.record(actor, at, "task_reassigned", f"task #{number} → {owner}",
                           before={"owner": task.owner.name}, after={"number": str(number), "owner": owner.name})


def decisions_for(incident: TaskSubject, choices: Mapping[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """What happens to each open task at resolve: (CARRY, "") or (DROP, reason). A task nobody decided on
    is carried over (a resolve by email or the CLI loses nothing); a drop needs its reason."""
    decided: dict[int, tuple[str, str]] = {}
    for task in incident.tasks:
        if not task.is_open:
            continue
        choice, reason = choices.get(task.number, (CARRY, ""))
        if choice not in (CARRY, DROP):
            raise InvalidValue("tasks", f"'{choice}' for task #{task.number}: carry it over or drop it")
        reason = clean_text(f"reason to drop task #{task.number}", reason, limit=MAX_REASON, required=False)
        if choice == DROP and not reason:
            raise InvalidValue("tasks", f"task #{task.number} is dropped without a reason: say why, or carry it over")
        decided[task.number] = (choice, reason)
    unknown = sorted(set(choices) - {t.number for t in incident.tasks})
    if unknown:
        raise InvalidValue("tasks", f"{incident.id} has no task #{unknown[0]}")
    return decided


class SettlingSubject(TaskSubject, postmortem_changes.PostmortemSubject, Protocol):
    """The incident being resolved: its tasks become follow-ups."""

    follow_ups: tuple[FollowUp, ...]


def settle_tasks(incident: SettlingSubject, decisions: Mapping[int, tuple[str, str]], *, actor: Person,
                 at: datetime, policy: OrganisationPolicy, tracked: bool) -> None:
    """Just resolved: each open task becomes a follow-up (its owner, its due time if still ahead) or is dropped
    with its reason. ``decisions`` comes from ``decisions_for``, read before the resolve."""
    for number, (choice, reason) in decisions.items():
        task = find_task(incident, number)
        if choice == DROP:
            _replace_task(incident, replace(task, dropped=reason))
            incident.record(actor, at, "task_dropped", f"task #{number} dropped: {task.text} ({reason})",
                            after={"number": str(number), "reason": reason})
            continue
        due = task.due_at if task.due_at is not None and task.due_at > at else None
        postmortem_changes.add_follow_up(incident, title=task.text, owner=task.owner, actor=actor, at=at,
                                         policy=policy, due_at=due, tracked=tracked, from_task=number)
        _replace_task(incident, replace(task, follow_up=incident.follow_ups[-1].number))
