"""Microsoft 365 service health as a signal: Teams marked down while Microsoft announces a Teams incident that
degrades or interrupts it, and back up when Microsoft resolves it, with the admin team told by email.

A person's flag (``teams down``) is never overridden and never cleared here: the automatic path changes only
a flag it set itself (``by`` SERVICE_HEALTH, with the issue id), under the flag's concurrency tag. Each
announcement to the admins is sent exactly once per issue across hosts (services/once.py); the flag keeps the
issue's id after Teams is back up, so a run that stopped between the change and the mail sends it next time.
A person who clears the flag while the issue lasts is believed: the issue does not flag Teams down again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from incident.model import Person
from incident.service_health import TEAMS, ServiceIssue, still_down
from services.conflict_retry import Write, until_stored
from services.once import once
from services.ports import SERVICE_HEALTH, IdempotencyStore, Mailer, TeamsFlag, TeamsHealth

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)  # a host that stopped mid-announcement is taken over after this


class ServiceAnnouncements(Protocol):
    """Microsoft 365 service health (adapters/graph.py's GraphClient)."""

    async def service_issues(self, service: str) -> list[ServiceIssue]:
        """The service's unresolved issues; GraphError when Graph refuses or fails."""
        ...


@dataclass(frozen=True)
class Watched:
    """What one look changed: ``change`` is "down", "up" or "" (nothing); ``issue`` the issue it is about."""

    change: str = ""
    issue: str = ""
    told: tuple[str, ...] = ()  # the announcements this run mailed: "down:ID", "up:ID", "noted:ID"


@dataclass(frozen=True)
class Admins:
    """Who is told, and how: the admin team's addresses, the mailer (None: email is off), the idempotency store."""

    people: Sequence[Person]
    mailer: Mailer | None
    idempotency: IdempotencyStore
    language: str = "en"  # the organisation's: these mails follow no incident


def told_key(kind: str, issue: str) -> str:
    return f"service-health:{kind}:{issue}"


async def watch_teams(announcements: ServiceAnnouncements, health: TeamsHealth, admins: Admins,
                      now: datetime) -> Watched:
    """One look at Teams' service health: change the flag if the announcements say so, then tell the admins
    what the flag now says (once per issue)."""
    issues = await announcements.service_issues(TEAMS)

    async def decide() -> tuple[Watched, Write | None]:
        flag, tag = await health.flag()
        if flag.down and flag.by != SERVICE_HEALTH:
            return Watched(), None  # a person's flag: theirs to clear
        ours = flag.issue if flag.down else ""
        cause = still_down(issues, ours)
        if cause is None:
            if not flag.down:
                return Watched(), None
            cleared = TeamsFlag(False, SERVICE_HEALTH, f"Microsoft resolved {flag.issue}", flag.issue)
            return Watched("up", flag.issue), lambda: health.replace_flag(now, cleared, tag)
        if cause.id == ours:
            return Watched(), None
        told = await admins.idempotency.find(told_key("down", cause.id))
        if told is not None and told.done and not flag.down:
            return Watched(), None  # flagged for this issue before, and a person cleared it since
        down = TeamsFlag(True, SERVICE_HEALTH, _reason(cause), cause.id)
        return Watched("down", cause.id), lambda: health.replace_flag(now, down, tag)

    watched = await until_stored(decide, "Teams' health flag kept changing while service health was applied")
    told = await _tell(issues, health, admins, now)
    return Watched(watched.change, watched.issue, told)


async def _tell(issues: Sequence[ServiceIssue], health: TeamsHealth, admins: Admins,
                now: datetime) -> tuple[str, ...]:
    """Announce what the flag says now, if not announced yet: down or back up for service health's issue,
    or a disrupting issue noted while a person's flag stands."""
    flag, _ = await health.flag()
    if flag.by == SERVICE_HEALTH and flag.issue:
        issue = next((i for i in issues if i.id == flag.issue), None)
        kind = "down" if flag.down else "up"
        return await _announce(admins, kind, flag.issue, issue, flag, now)
    if flag.down:  # a person's flag: the admins still hear that Microsoft confirms it
        cause = still_down(issues, "")
        if cause is not None:
            return await _announce(admins, "down", cause.id, cause, flag, now)
    return ()


async def _announce(admins: Admins, kind: str, issue_id: str, issue: ServiceIssue | None, flag: TeamsFlag,
                    now: datetime) -> tuple[str, ...]:
    addresses = [p.email for p in admins.people if p.email]
    if admins.mailer is None or not addresses:
        return ()  # no email or no admin address: the flag alone carries the change (the timer logs it)
    async with once(admins.idempotency, told_key(kind, issue_id), now, LEASE) as claim:
        if not claim.owned:
            return ()
        by_person = flag.down and flag.by != SERVICE_HEALTH
        if admins.language == "fr":
            state = ("toujours indisponible (signalé par une personne)" if by_person
                     else "indisponible" if kind == "down" else "rétabli")
            title = f"Teams est {state} : état des services Microsoft 365 {issue_id}"
        else:
            state = "still down (flagged by a person)" if by_person else "down" if kind == "down" else "back up"
            title = f"Teams is {state}: Microsoft 365 service health {issue_id}"
        await admins.mailer.send_template(addresses, title, "teams_service_health",
                                          {"kind": kind, "issue_id": issue_id, "issue": issue, "set_by": flag.by,
                                           "by_person": by_person, "at": now, "language": admins.language})
    return (f"{'noted' if by_person else kind}:{issue_id}",)


def _reason(issue: ServiceIssue) -> str:
    return f"{SERVICE_HEALTH} issue {issue.id} ({issue.status}): {issue.title}"[:500]
