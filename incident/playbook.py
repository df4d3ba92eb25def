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
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
OWNER = re.compile(r"^\W*owner\W*:\s*(?P<owner>\S.*?)\s*$", re.IGNORECASE | re.MULTILINE)
LAST_TESTED = re.compile(r"^\W*last[ -]tested\W*:\s*\**\s*(?P<date>\d{4}-\d{2}-\d{2})", re.IGNORECASE | re.MULTILINE)
EMPTY_LINK = re.compile(r"(?<!\\)\[([^\]]*)\]\(\s*(?:<\s*>)?\s*\)")


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
    """Every broken rule (so the author fixes them all at once), the owner and the last-tested date."""
    problems: list[str] = []
    size = len(text.encode())
    if size > policy.max_bytes:
        problems.append(f"it is {size} bytes; the limit is {policy.max_bytes}")
    headings = {_normal(h) for h in HEADING.findall(text)}
    missing = [s for s in REQUIRED_SECTIONS if s not in headings]
    if missing:
        problems.append("missing sections (as Markdown headings): " + ", ".join(missing))
    owner_match = OWNER.search(text)
    owner = owner_match.group("owner").strip("*_ ") if owner_match else ""
    if not owner:
        problems.append("no owner: add a line 'Owner: <name>'")
    tested: date | None = None
    tested_match = LAST_TESTED.search(text)
    if tested_match is None:
        problems.append("no last-tested date: add a line 'Last tested: YYYY-MM-DD'")
    else:
        try:
            tested = date.fromisoformat(tested_match.group("date"))
        except ValueError:
            problems.append(f"last tested: '{tested_match.group('date')}' is not a date")
        else:
            age = (at.date() - tested).days
            if age < 0:
                problems.append(f"last tested {tested.isoformat()} is in the future")
            elif age > policy.last_tested_max_days:
                problems.append(f"last tested {tested.isoformat()}, {age} days ago; test it again "
                                f"(at most {policy.last_tested_max_days} days)")
    empty = [m.group(0) for m in EMPTY_LINK.finditer(text)]
    if empty:
        problems.append("empty links: " + ", ".join(empty[:5]))
    return problems, owner, tested


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
