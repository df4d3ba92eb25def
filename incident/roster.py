"""The roster: who holds each role per service, rotations, temporary overrides, and who holds it now.

A service's row for a role names a primary (or a weekly rotation whose current holder is the
primary) and ordered delegates; ``"*"`` is the organisation-wide row used when a service has none.
An override puts someone in the holder's place for a while (a vacation, a swap). ``chain_at``
answers "who holds role R for service S at instant T": the effective primary, then the delegates.
Rotations hand over in their own time zone's wall-clock time, so a daylight-saving change moves
the UTC instant of the hand-off, not its local hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incident.errors import InvalidValue
from incident.people import Person

ORGANISATION = "*"  # the organisation-wide row, used when a service has no row for a role
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_PEOPLE = 20  # per role: primary or rotation plus delegates; keeps one row far below 64 KB
MAX_OVERRIDE = timedelta(days=92)


def _aware(field: str, at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValue(field, "times must carry a time zone")
    return at


def unique_people(people: Iterable[Person | None]) -> tuple[Person, ...]:
    """People in order, each once (by id), without the empty places."""
    seen: dict[str, Person] = {}
    for person in people:
        if person is not None:
            seen.setdefault(person.id, person)
    return tuple(seen.values())


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue("timezone", f"'{name}' is not an IANA time zone such as Europe/Paris") from None


@dataclass(frozen=True)
class Rotation:
    """People taking turns a week each, handing over on ``weekday`` (Monday=0) at ``hour`` in ``timezone``.
    ``people[0]`` holds from the first hand-off on or after ``since``; before that, nobody by rotation."""

    people: tuple[Person, ...]
    weekday: int
    hour: int
    timezone: str
    since: date

    def __post_init__(self) -> None:
        if not self.people:
            raise InvalidValue("rotation", "needs at least one person")
        if len(unique_people(self.people)) != len(self.people):
            raise InvalidValue("rotation", "names someone twice")
        if not 0 <= self.weekday <= 6:
            raise InvalidValue("rotation", f"weekday {self.weekday} is not 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.hour <= 23:
            raise InvalidValue("rotation", f"hour {self.hour} is not 0 to 23")
        zone(self.timezone)

    @property
    def first_handoff(self) -> datetime:
        day = self.since + timedelta(days=(self.weekday - self.since.weekday()) % 7)
        return datetime.combine(day, time(self.hour), tzinfo=zone(self.timezone))

    def handoff_text(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.hour:02d}:00 {self.timezone}"

    def holder_at(self, at: datetime) -> Person | None:
        """Whose week it is at ``at``; None before the rotation starts. Weeks are counted in local dates
        and each hand-off is the local hour of its own day, so DST never shifts who holds it."""
        _aware("at", at)
        tz = zone(self.timezone)
        first = self.first_handoff
        if at < first:
            return None
        local = at.astimezone(tz)
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        if at < datetime.combine(day, time(self.hour), tzinfo=tz):
            day -= timedelta(days=7)
        weeks = (day - first.date()).days // 7
        return self.people[weeks % len(self.people)]

    def handoffs(self, start: datetime, end: datetime) -> list[datetime]:
        """Every hand-off instant in [start, end), in UTC terms of the zone's wall clock."""
        tz = zone(self.timezone)
        local = max(start, self.first_handoff).astimezone(tz)
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        found = []
        while (moment := datetime.combine(day, time(self.hour), tzinfo=tz)) < end:
            if moment >= start and moment >= self.first_handoff:
                found.append(moment)
            day += timedelta(days=7)
        return found


@dataclass(frozen=True)
class RosterEntry:
    """Who holds a role for a service: a primary (or a rotation) and ordered delegates."""

    service: str
    role: str
    primary: Person | None
    delegates: tuple[Person, ...] = ()
    rotation: Rotation | None = None

    def __post_init__(self) -> None:
        if self.primary is None and self.rotation is None:
            raise InvalidValue("roster", f"{self.service}/{self.role} needs a primary or a rotation")
        if len(self.people) > MAX_PEOPLE:
            raise InvalidValue("roster", f"{self.service}/{self.role} names {len(self.people)} people; "
                                         f"the limit is {MAX_PEOPLE}")

    @property
    def chain(self) -> tuple[Person, ...]:
        """The chain without time: the primary, then the delegates (what the roster was set to)."""
        return unique_people((self.primary, *self.delegates))

    @property
    def people(self) -> tuple[Person, ...]:
        """Everyone this row may ever put in the role: primary, rotation, delegates."""
        return unique_people((self.primary, *(self.rotation.people if self.rotation else ()), *self.delegates))

    def primary_at(self, at: datetime) -> Person | None:
        if self.rotation is not None:
            return self.rotation.holder_at(at) or self.primary
        return self.primary

    def chain_at(self, at: datetime) -> tuple[Person, ...]:
        return unique_people((self.primary_at(at), *self.delegates))


@dataclass(frozen=True)
class Override:
    """``person`` replaces whoever holds ``role`` for ``service`` from ``start`` (inclusive) to ``end``."""

    service: str
    role: str
    person: Person
    start: datetime
    end: datetime
    created_by: Person | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        _aware("start", self.start)
        _aware("end", self.end)
        if self.end <= self.start:
            raise InvalidValue("override", f"ends ({self.end:%Y-%m-%d %H:%M %Z}) before it starts "
                                           f"({self.start:%Y-%m-%d %H:%M %Z})")
        if self.end - self.start > MAX_OVERRIDE:
            raise InvalidValue("override", f"lasts more than {MAX_OVERRIDE.days} days: change the roster instead")

    def active_at(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def overlaps(self, other: Override) -> bool:
        return (self.service, self.role) == (other.service, other.role) and \
            self.start < other.end and other.start < self.end


def check_new_override(new: Override, existing: Iterable[Override]) -> None:
    """Two overrides of one role and service may not overlap: who would hold it?"""
    for old in existing:
        if new.overlaps(old):
            raise InvalidValue("override", f"overlaps the override of {old.person} for {old.service}/{old.role} "
                                           f"from {old.start:%Y-%m-%d %H:%M} to {old.end:%Y-%m-%d %H:%M} UTC")


@dataclass(frozen=True)
class Holders:
    """The answer to "who holds role R for service S at T": the chain and where it came from."""

    service: str  # the row used: the service's own, or "*"
    role: str
    chain: tuple[Person, ...]
    override: Override | None = None

    @property
    def primary(self) -> Person | None:
        return self.chain[0] if self.chain else None

    @property
    def delegates(self) -> tuple[Person, ...]:
        return self.chain[1:]


def chain_at(entry: RosterEntry | None, overrides: Iterable[Override], at: datetime) -> Holders | None:
    """The chain of one row at ``at``: an active override's person takes the effective primary's place
    (who is away, so not in the chain), then the delegates."""
    _aware("at", at)
    if entry is None:
        return None
    active = next((o for o in overrides if o.service == entry.service and o.role == entry.role
                   and o.active_at(at)), None)
    chain = entry.chain_at(at)
    if active is not None:
        replaced = entry.primary_at(at)
        chain = unique_people((active.person, *(p for p in chain if replaced is None or p.id != replaced.id)))
    return Holders(entry.service, entry.role, chain, active)


def holders_at(service_entries: Sequence[RosterEntry], service_overrides: Sequence[Override],
               organisation_entries: Sequence[RosterEntry], organisation_overrides: Sequence[Override],
               service: str, role: str, at: datetime) -> Holders | None:
    """The service's own row for the role if it has one, else the organisation's; None when neither."""
    own = next((e for e in service_entries if e.service == service and e.role == role), None)
    if own is not None:
        return chain_at(own, service_overrides, at)
    shared = next((e for e in organisation_entries if e.role == role), None)
    return chain_at(shared, organisation_overrides, at)
