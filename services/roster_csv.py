"""The roster as CSV: one row per person in a role, checked row by row; an import is all or nothing.

Columns (the header must be exactly these): service, role, kind, person_id, person_name, person_email,
handoff, timezone, since, start, end, reason, and optionally person_language last ("en" or "fr": the person's
mail language when Teams has not told devopsbot theirs). ``kind`` is one of:
- ``primary``: the role's primary (one per role, unless it has a rotation);
- ``delegate``: a delegate, in the order of the rows;
- ``rotation``: a person of the weekly rotation, in turn order; ``handoff`` ("mon 09:00"), ``timezone``
  (IANA) and ``since`` (the date from which the first hand-off gives the first person) on each row;
- ``override``: ``person`` replaces the holder from ``start`` to ``end`` (ISO 8601 with a zone).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from incident.errors import DevopsbotError, InvalidValue
from incident.languages import configured_language
from incident.people import Person
from incident.policy import OrganisationPolicy
from incident.roster import WEEKDAYS, Override, RosterEntry, Rotation, check_new_override
from services.ports import RosterPartition, RosterRepository
from services.roster_service import all_partitions, known_role, known_service

COLUMNS = ("service", "role", "kind", "person_id", "person_name", "person_email", "handoff", "timezone",
           "since", "start", "end", "reason")
KINDS = ("primary", "delegate", "rotation", "override")
LANGUAGE = "person_language"  # the optional last column
# A spreadsheet evaluates a cell starting with one of these (=1+1, @SUM(…), -2+3; tab and CR too): an exported
# cell that would start with one, after any quotes, gets a leading "'" (shown as text), taken off on import.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_BYTES = 2_000_000
MAX_PROBLEMS = 50
HANDOFF = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+(\d{1,2}):00$", re.IGNORECASE)


class RosterFileError(InvalidValue):
    """The file was refused; ``problems`` says where, line by line. Nothing was written."""

    def __init__(self, problems: Sequence[str]) -> None:
        shown = list(problems[:MAX_PROBLEMS])
        more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
        super().__init__("roster file", "nothing was imported: " + "; ".join(shown) + more)
        self.problems = tuple(problems)


@dataclass
class _Role:
    service: str
    role: str
    line: int
    primary: Person | None = None
    delegates: list[Person] = field(default_factory=list)
    rotation: list[Person] = field(default_factory=list)
    rotation_terms: tuple[int, int, str, date] | None = None


def decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise RosterFileError([f"the file is {len(raw)} bytes; the limit is {MAX_BYTES}"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RosterFileError([f"the file is not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start}): "
                               "save it as 'CSV UTF-8'"]) from None


def _instant(text: str) -> datetime:
    at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError("needs a time zone, like 2026-12-01T09:00:00Z")
    return at


def parse(text: str, policy: OrganisationPolicy) -> tuple[dict[str, list[RosterEntry]], dict[str, list[Override]]]:
    """Every row checked; any problem refuses the whole file with each problem's line number."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = _readable(reader)
    problems: list[str] = []
    header = next(rows, None)
    names = tuple(h.strip().lower() for h in header or ())
    if header is None or names not in (COLUMNS, (*COLUMNS, LANGUAGE)):
        found = ", ".join(header or []) or "nothing"
        raise RosterFileError([f"line 1: wrong columns: expected {', '.join(COLUMNS)} (and optionally {LANGUAGE} "
                               f"last); found {found}"])
    roles: dict[tuple[str, str], _Role] = {}
    overrides: dict[str, list[tuple[int, Override]]] = {}
    for row in rows:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            problems.append(f"line {line}: {len(row)} columns instead of {len(names)}")
            continue
        try:
            _row(dict(zip(names, (as_imported(c.strip()) for c in row), strict=True)), line, policy, roles,
                 overrides)
        except (InvalidValue, ValueError) as error:
            problems.append(f"line {line}: {error}")
    entries: dict[str, list[RosterEntry]] = {}
    for role_rows in roles.values():
        try:
            entries.setdefault(role_rows.service, []).append(_entry(role_rows))
        except (InvalidValue, ValueError) as error:
            problems.append(f"line {role_rows.line}: {error}")
    for service_overrides in overrides.values():
        for index, (line, override) in enumerate(service_overrides):
            try:
                check_new_override(override, (o for _, o in service_overrides[:index]))
            except InvalidValue as error:
                problems.append(f"line {line}: {error}")
    if problems:
        raise RosterFileError(problems)
    return entries, {service: [o for _, o in found] for service, found in overrides.items()}


def is_email(text: str) -> bool:
    """One '@' between a local part and a dotted domain, no spaces: checked in one pass (the pattern it
    replaced backtracked on long runs of dots)."""
    local, at, domain = text.partition("@")
    dot = domain.find(".", 1)
    return (bool(local) and bool(at) and "@" not in domain and 0 < dot < len(domain) - 1
            and not any(c.isspace() for c in text))


def _needs_quote(cell: str) -> bool:
    return cell.lstrip("'").startswith(FORMULA_STARTS)


def as_exported(cell: str) -> str:
    """A cell as written to the file: one that a spreadsheet would evaluate gets a leading "'"."""
    return "'" + cell if _needs_quote(cell) else cell


def as_imported(cell: str) -> str:
    """The inverse of ``as_exported``: a hand-written "'Bob" stays as it is."""
    return cell[1:] if cell.startswith("'") and _needs_quote(cell[1:]) else cell


def _readable(reader: Any) -> Iterator[list[str]]:
    """The rows; what the csv module itself cannot read (a field over its size limit) refuses the file."""
    try:
        yield from reader
    except csv.Error as error:
        raise RosterFileError([f"line {reader.line_num}: {error}"]) from None


def _row(cells: dict[str, str], line: int, policy: OrganisationPolicy, roles: dict[tuple[str, str], _Role],
         overrides: dict[str, list[tuple[int, Override]]]) -> None:
    service, role = known_service(policy, cells["service"]), known_role(policy, cells["role"])
    kind = cells["kind"].lower()
    if kind not in KINDS:
        raise InvalidValue("kind", f"'{cells['kind']}' is not one of {', '.join(KINDS)}")
    if not cells["person_id"]:
        raise InvalidValue("person_id", "is required")
    if cells["person_email"] and not is_email(cells["person_email"]):
        raise InvalidValue("person_email", f"'{cells['person_email']}' is not an email address")
    person = Person(cells["person_id"], cells["person_name"] or cells["person_id"], cells["person_email"],
                    language=configured_language(cells.get(LANGUAGE, ""), LANGUAGE))
    if kind == "override":
        try:
            start, end = _instant(cells["start"]), _instant(cells["end"])
        except ValueError as error:
            raise InvalidValue("start/end", f"not ISO 8601 instants: {error}") from None
        override = Override(service, role, person, start, end, reason=cells["reason"][:500])
        overrides.setdefault(service, []).append((line, override))
        return
    found = roles.setdefault((service, role), _Role(service, role, line))
    if kind == "primary":
        if found.primary is not None:
            raise InvalidValue("primary", f"{service}/{role} already has a primary ({found.primary.name})")
        found.primary = person
    elif kind == "delegate":
        found.delegates.append(person)
    else:
        handoff = HANDOFF.match(cells["handoff"])
        if handoff is None:
            raise InvalidValue("handoff", f"'{cells['handoff']}' is not like 'mon 09:00' (a weekday and a whole hour)")
        try:
            since = date.fromisoformat(cells["since"])
        except ValueError:
            raise InvalidValue("since", f"'{cells['since']}' is not a date like 2026-11-30") from None
        terms = (WEEKDAYS.index(handoff.group(1).lower()), int(handoff.group(2)), cells["timezone"], since)
        if found.rotation_terms is not None and terms != found.rotation_terms:
            raise InvalidValue("rotation", f"{service}/{role}: every rotation row must have the same handoff, "
                                           "timezone and since")
        Rotation((person,), *terms)  # checks the hour and the zone on this row
        found.rotation_terms = terms
        found.rotation.append(person)


def _entry(found: _Role) -> RosterEntry:
    rotation = Rotation(tuple(found.rotation), *found.rotation_terms) if found.rotation_terms else None
    if found.primary is None and rotation is None:
        raise InvalidValue("roster", f"{found.service}/{found.role} has delegates but no primary or rotation")
    return RosterEntry(found.service, found.role, found.primary, tuple(found.delegates), rotation)


class RosterImportFailed(DevopsbotError):
    """Storing a later service failed; the services already replaced were put back as they were."""


async def import_csv(roster: RosterRepository, policy: OrganisationPolicy, raw: bytes,
                     now: datetime) -> dict[str, int]:
    """Replace the roster of each service named in the file, all or nothing; services not in it are left
    alone. Table Storage has no transaction across services, so every service is checked before anything
    is written, and a failure on one puts back the services replaced before it."""
    entries, overrides = parse(decode(raw), policy)
    services = list(dict.fromkeys([*entries, *overrides]))
    problems: list[str] = []
    for service in services:
        try:
            await roster.check_replace(service, entries.get(service, []), overrides.get(service, []), now=now)
        except InvalidValue as error:
            problems.append(str(error))
    if problems:
        raise RosterFileError(problems)
    before = {service: await roster.partition(service) for service in services}
    done: list[str] = []
    for service in services:
        try:
            await roster.replace_service(service, entries.get(service, []), overrides.get(service, []), now=now)
        except Exception as error:  # whatever failed, the services before it are put back
            raise RosterImportFailed(await _undo(roster, [before[s] for s in done], service, error)) from error
        done.append(service)
    return {service: len(entries.get(service, [])) + len(overrides.get(service, [])) for service in services}


async def _undo(roster: RosterRepository, replaced: Sequence[RosterPartition], failed: str,
                error: Exception) -> str:
    """Put the replaced services back; the message says what happened, including what could not be undone."""
    message = f"nothing was imported: storing the roster of {failed} failed ({error})"
    stuck: list[str] = []
    for partition in reversed(replaced):
        try:
            await roster.restore_service(partition)
        except Exception as undo_error:  # keep putting back the others; the message names this one
            stuck.append(f"{partition.service} ({undo_error})")
    if stuck:
        return message + "; putting back " + ", ".join(stuck) + " failed too: check them with 'roster show'"
    if replaced:
        return message + "; " + ", ".join(p.service for p in replaced) + " put back as before"
    return message


def _person_cells(person: Person) -> list[str]:
    return [person.id, person.name, person.email]


def _with_languages(rows: Sequence[list[str]], people: Sequence[Person | None]) -> Iterator[list[str]]:
    """The rows with the person_language column, when anyone in them has a language; else as they are."""
    if not any(p is not None and p.language for p in people):
        yield from rows
        return
    for row, person in zip(rows, people, strict=True):
        yield [*row, person.language if person is not None else LANGUAGE]


def write(partitions: Sequence[RosterPartition]) -> str:
    """The roster as a file ``parse`` reads back to the same roster; no cell is a formula to a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # This csv module quotes a cell for the line terminator's characters only: a row with a carriage return in
    # a cell is quoted whole, or the return would end the line when the file is read back.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    found = list(_rows(partitions))
    rows = list(_with_languages([list(COLUMNS), *(row for row, _ in found)], [None, *(p for _, p in found)]))
    writer.writerow(rows[0])
    for row in rows[1:]:
        cells = [as_exported(cell) for cell in row]
        (quoted if any("\r" in cell for cell in cells) else writer).writerow(cells)
    return out.getvalue()


def _rows(partitions: Sequence[RosterPartition]) -> Iterator[tuple[list[str], Person]]:
    """Each row of the file with the person it names."""
    blank = ["", "", "", "", "", ""]
    for partition in partitions:
        for entry in partition.entries:
            if entry.primary is not None:
                yield [entry.service, entry.role, "primary", *_person_cells(entry.primary), *blank], entry.primary
            if entry.rotation is not None:
                r = entry.rotation
                for person in r.people:
                    yield [entry.service, entry.role, "rotation", *_person_cells(person),
                           f"{WEEKDAYS[r.weekday]} {r.hour:02d}:00", r.timezone, r.since.isoformat(), "", "",
                           ""], person
            for person in entry.delegates:
                yield [entry.service, entry.role, "delegate", *_person_cells(person), *blank], person
        for override in partition.overrides:
            yield [override.service, override.role, "override", *_person_cells(override.person), "", "", "",
                   override.start.isoformat(), override.end.isoformat(), override.reason], override.person


async def export_csv(roster: RosterRepository, policy: OrganisationPolicy, now: datetime) -> str:
    """The current roster, as ``import_csv`` reads it back: overrides that ended before ``now`` are left
    out, as an import leaves them out."""
    return write([partition.current(now) for partition in await all_partitions(roster, policy)])
