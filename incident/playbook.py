"""Service playbooks: versioned Markdown, verified before review, approved by someone other than the author.

Each submitted version is immutable; only its reviews change. A version is approved once it has the
configured number of approvals that have not expired; approvals expire after the configured days and
need renewing. A rejection needs a comment; a superseded version (a newer one was submitted) can no
longer be reviewed. Every change returns an audit event: who, when, which version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from incident.errors import InvalidValue, NotPermitted
from incident.people import Person

REQUIRED_SECTIONS = ("symptoms", "diagnosis", "mitigation", "rollback", "verification of recovery", "contacts")
# Playbooks come from people: every rule below reads a line at a time with scans that never backtrack,
# after the size limit, so no text can make verification slow (a cubic heading pattern once could).
UNREAD_FACTOR = 4  # a text this many times over the size limit is refused unread; below, every rule is listed
_NON_WORD = re.compile(r"\W*")
_SPACE = re.compile(r"\s*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _run_end(pattern: re.Pattern[str], text: str, start: int) -> int:
    """Where the run of ``pattern`` (one starred class, which always matches) starting at ``start`` ends."""
    run = pattern.match(text, start)
    return run.end() if run else start


class PlaybookError(InvalidValue):
    """The version fails verification; ``problems`` lists every rule it breaks. Nothing is stored."""

    def __init__(self, service: str, problems: Sequence[str]) -> None:
        super().__init__("playbook", f"{service}: " + "; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class PlaybookPolicy:
    approvals_required: int = 1
    approval_valid_days: int = 180
    last_tested_max_days: int = 90
    max_bytes: int = 60_000
    approvers: Mapping[str, tuple[Person, ...]] = field(default_factory=dict)  # by service; none: any admin
    link_base: str = ""  # where the app serves playbooks (its public URL), for links on incident cards

    def approvers_of(self, service: str) -> tuple[Person, ...]:
        return self.approvers.get(service, ())


class State(StrEnum):
    SUBMITTED = "submitted"  # waiting for (more) approvals
    APPROVED = "approved"
    EXPIRED = "expired"  # was approved; its approvals have expired and need renewing
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer version was submitted before this one was approved


@dataclass(frozen=True)
class Review:
    by: Person
    at: datetime
    approved: bool
    comment: str = ""


@dataclass(frozen=True)
class PlaybookVersion:
    service: str
    version: int
    text: str
    author: Person
    submitted_at: datetime
    owner: str
    last_tested: date
    reviews: tuple[Review, ...] = ()
    tag: str = ""  # the store's concurrency tag of the reviews ("" before the first review)

    def valid_approvals(self, at: datetime, policy: PlaybookPolicy) -> tuple[Review, ...]:
        limit = timedelta(days=policy.approval_valid_days)
        latest: dict[str, Review] = {}
        for review in self.reviews:
            if review.approved:
                latest[review.by.id] = review
        return tuple(r for r in latest.values() if r.at <= at < r.at + limit)

    def state(self, at: datetime, policy: PlaybookPolicy, latest: int) -> State:
        if any(not r.approved for r in self.reviews):
            return State.REJECTED
        if len(self.valid_approvals(at, policy)) >= policy.approvals_required:
            return State.APPROVED
        if any(r.approved for r in self.reviews) and self._was_approved(policy):
            return State.EXPIRED
        return State.SUPERSEDED if self.version < latest else State.SUBMITTED

    def _was_approved(self, policy: PlaybookPolicy) -> bool:
        return len({r.by.id for r in self.reviews if r.approved}) >= policy.approvals_required


@dataclass(frozen=True)
class AuditEvent:
    service: str
    version: int
    kind: str  # submitted, approved, rejected
    actor: Person
    at: datetime
    detail: str = ""


def verify(text: str, at: datetime, policy: PlaybookPolicy) -> tuple[list[str], str, date | None]:
    """Every broken rule (so the author fixes them all at once), the owner and the last-tested date. A text
    more than UNREAD_FACTOR times over the size limit gets only that problem: it is not read at all."""
    problems: list[str] = []
    size = len(text.encode())
    if size > policy.max_bytes:
        problems.append(f"it is {size} bytes; the limit is {policy.max_bytes}")
        if size > UNREAD_FACTOR * policy.max_bytes:  # far over: refused before anything reads it
            return problems, "", None
    lines = text.replace("\r\n", "\n").split("\n")
    headings = {_normal(h) for h in map(_heading, (line for line in lines if "#" in line)) if h}
    missing = [s for s in REQUIRED_SECTIONS if s not in headings]
    if missing:
        problems.append("missing sections (as Markdown headings): " + ", ".join(missing))
    labelled = [line for line in lines if ":" in line]  # only these can hold an owner or a date
    owner = next((found for found in map(_owner, labelled) if found), "")
    if not owner:
        problems.append("no owner: add a line 'Owner: <name>'")
    tested: date | None = None
    written = next((found for found in map(_last_tested, labelled) if found), "")
    if not written:
        problems.append("no last-tested date: add a line 'Last tested: YYYY-MM-DD'")
    else:
        try:
            tested = date.fromisoformat(written)
        except ValueError:
            problems.append(f"last tested: '{written}' is not a date")
        else:
            age = (at.date() - tested).days
            if age < 0:
                problems.append(f"last tested {tested.isoformat()} is in the future")
            elif age > policy.last_tested_max_days:
                problems.append(f"last tested {tested.isoformat()}, {age} days ago; test it again "
                                f"(at most {policy.last_tested_max_days} days)")
    empty = _empty_links(text, 5)
    if empty:
        problems.append("empty links: " + ", ".join(empty[:5]))
    return problems, owner, tested


def _heading(line: str) -> str:
    """The text of an ATX heading line ('## Rollback ##'), or ""."""
    stripped = line.lstrip()
    if len(line) - len(stripped) > 3:
        return ""
    level = len(stripped) - len(stripped.lstrip("#"))
    rest = stripped[level:]
    if not 1 <= level <= 6 or not rest[:1].isspace():
        return ""
    return rest.strip().rstrip("#").rstrip()


def _labelled(line: str, labels: tuple[str, ...]) -> tuple[str, int] | None:
    """For a line 'Label: value' (emphasis around the label allowed): what follows the label's colon,
    and how much of it was emphasis or spacing before the value. None for any other line."""
    start = _run_end(_NON_WORD, line, 0)
    width = len(labels[0])
    if line[start:start + width].casefold() not in labels:
        return None
    after = start + width
    end = _run_end(_NON_WORD, line, after)
    colon = line.rfind(":", after, end)
    return None if colon < 0 else (line[colon + 1:], end - colon - 1)


def _owner(line: str) -> str:
    found = _labelled(line, ("owner",))
    return found[0].strip().strip("*_ ") if found else ""


def _last_tested(line: str) -> str:
    """The date written on a 'Last tested: YYYY-MM-DD' line (bold allowed around it), or ""."""
    found = _labelled(line, ("last tested", "last-tested"))
    if found is None:
        return ""
    value, lead = found
    if value[:lead].strip().lstrip("*").strip():
        return ""
    date_text = _DATE.match(value, lead)
    return date_text.group(0) if date_text else ""


def _empty_links(text: str, limit: int) -> list[str]:
    """Up to ``limit`` Markdown links with no target ('[text]()', '[text](<>)'), unless the '[' is escaped.
    Each part of the text is looked at a bounded number of times."""
    found: list[str] = []
    after = 0  # where the previous link ended
    middle = text.find("](")
    while middle >= 0 and len(found) < limit:
        close = _empty_target_end(text, middle + 2)
        if close >= 0:
            opening = text.find("[", max(after, text.rfind("]", after, middle) + 1), middle)
            while opening > 0 and text[opening - 1] == "\\":
                opening = text.find("[", opening + 1, middle)
            if opening >= 0:
                found.append(text[opening:close])
                after = close
        middle = text.find("](", max(middle + 2, after))
    return found


def _empty_target_end(text: str, start: int) -> int:
    """Where '(  )' or '( <> )' that starts at ``start`` (after the '(') ends, or -1."""
    at = _run_end(_SPACE, text, start)
    if text.startswith("<", at):
        inside = _run_end(_SPACE, text, at + 1)
        if not text.startswith(">", inside):
            return -1
        at = _run_end(_SPACE, text, inside + 1)
    return at + 1 if text.startswith(")", at) else -1


def _normal(heading: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", heading.casefold()).split())


def submit(service: str, text: str, author: Person, at: datetime, existing: Iterable[PlaybookVersion],
           policy: PlaybookPolicy) -> tuple[PlaybookVersion, AuditEvent]:
    problems, owner, tested = verify(text, at, policy)
    if problems or tested is None:
        raise PlaybookError(service, problems)
    number = max((v.version for v in existing), default=0) + 1
    version = PlaybookVersion(service, number, text, author, at, owner, tested)
    return version, AuditEvent(service, number, "submitted", author, at, f"owner {owner}, last tested {tested}")


def _reviewable(version: PlaybookVersion, actor: Person, latest: int, policy: PlaybookPolicy,
                admins: Iterable[str] | None) -> None:
    """``admins`` None: an operator at the CLI, who needs not be an approver (four eyes still apply)."""
    if version.version < latest:
        raise InvalidValue("version", f"{version.service} v{version.version} is superseded by v{latest}; "
                                      f"review v{latest} instead")
    if actor.id == version.author.id:
        raise NotPermitted(f"the author of {version.service} v{version.version} cannot review it: "
                           "another approver must (four eyes)")
    approvers = policy.approvers_of(version.service)
    allowed = {p.id for p in approvers} | {p.aad_id for p in approvers if p.aad_id} if approvers else set(admins or ())
    if admins is not None and actor.id not in allowed and actor.aad_id not in allowed:
        names = ", ".join(p.name for p in approvers) or "the incident admins"
        raise NotPermitted(f"only {names} may review playbooks of {version.service}")
    if any(not r.approved for r in version.reviews):
        raise InvalidValue("version", f"{version.service} v{version.version} was rejected; submit a new version")


def approve(version: PlaybookVersion, actor: Person, at: datetime, latest: int, policy: PlaybookPolicy,
            admins: Iterable[str] | None = ()) -> tuple[PlaybookVersion, AuditEvent]:
    """An approval; a second one by the same person counts only once its first has expired (a renewal)."""
    _reviewable(version, actor, latest, policy, admins)
    if any(r.by.id == actor.id for r in version.valid_approvals(at, policy)):
        raise InvalidValue("approval", f"{actor} already approved {version.service} v{version.version}")
    approved = replace(version, reviews=(*version.reviews, Review(actor, at, True)))
    count = len(approved.valid_approvals(at, policy))
    return approved, AuditEvent(version.service, version.version, "approved", actor, at,
                                f"{count} of {policy.approvals_required} approvals")


def reject(version: PlaybookVersion, actor: Person, at: datetime, comment: str, latest: int,
           policy: PlaybookPolicy, admins: Iterable[str] | None = ()) -> tuple[PlaybookVersion, AuditEvent]:
    text = comment.strip()
    if not text:
        raise InvalidValue("comment", "a rejection needs a comment saying what to change")
    _reviewable(version, actor, latest, policy, admins)
    rejected = replace(version, reviews=(*version.reviews, Review(actor, at, False, text[:2000])))
    return rejected, AuditEvent(version.service, version.version, "rejected", actor, at, text[:2000])


def version_link(policy: PlaybookPolicy, service: str, version: int) -> str:
    """The address of one version of a service's playbook; empty when the app's address is unknown."""
    return f"{policy.link_base}/api/playbooks/{service}/{version}" if policy.link_base else ""


def current_approved(versions: Sequence[PlaybookVersion], at: datetime,
                     policy: PlaybookPolicy) -> PlaybookVersion | None:
    """The newest version approved (and not expired) at ``at``: the one incidents of the service get."""
    latest = max((v.version for v in versions), default=0)
    approved = [v for v in versions if v.state(at, policy, latest) is State.APPROVED]
    return max(approved, key=lambda v: v.version, default=None)


def coverage_gaps(services: Iterable[str], versions: Mapping[str, Sequence[PlaybookVersion]], at: datetime,
                  policy: PlaybookPolicy) -> list[str]:
    """Services without an approved, unexpired playbook."""
    return [s for s in services if current_approved(versions.get(s, ()), at, policy) is None]
