"""The single-point-of-failure report: where the roster lets a critical function hang on one person.

Rules, checked per service (and the organisation-wide row ``*`` it falls back to):
- every critical role has at least two distinct people (primary or rotation, and delegates);
- nobody is the only person for two critical roles of one service, nor the primary of two at once;
- overrides leave no gap: during an override the role still has two people, and two overrides of one
  role do not leave the away holder in charge for a few hours between them;
- for roles a 24x7 severity requires, a rotation covers every hour (no hour before it starts, or
  between hand-offs, without a holder).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from incident.policy import CoverageKind, OrganisationPolicy
from incident.roster import ORGANISATION, Override, RosterEntry, chain_at

SHORT_GAP = timedelta(hours=24)  # overrides closer than this are one absence with a hole in it
STEP = timedelta(hours=1)
MIN_HORIZON = timedelta(weeks=2)
MAX_HORIZON = timedelta(weeks=12)


@dataclass(frozen=True)
class Finding:
    service: str
    role: str
    rule: str  # too_few_people, nobody, sole_for_two, primary_of_two, override_gap, override_alone, coverage
    text: str


@dataclass(frozen=True)
class SpofReport:
    at: datetime
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        return [f"{f.service}  {f.role}: {f.text}" for f in self.findings]


def _name(policy: OrganisationPolicy, role: str) -> str:
    try:
        return policy.role(role).name
    except Exception:  # a row for a role since removed from the configuration
        return role


def round_the_clock_roles(policy: OrganisationPolicy) -> set[str]:
    return {r for s in policy.severities if s.coverage.kind is CoverageKind.ALWAYS for r in s.required_roles}


def spof_report(policy: OrganisationPolicy, entries: Mapping[str, Sequence[RosterEntry]],
                overrides: Mapping[str, Sequence[Override]], at: datetime) -> SpofReport:
    """``entries`` and ``overrides`` by service (``*`` included); services are the policy's."""
    critical = [r.key for r in policy.roles if r.critical]
    findings: list[Finding] = []
    shared = {e.role: e for e in entries.get(ORGANISATION, ())}
    scopes = [*policy.services, ORGANISATION]
    for service in scopes:
        own = {e.role: e for e in entries.get(service, ())}
        effective: dict[str, RosterEntry] = {}
        for role in critical:
            entry = own.get(role) or (None if service == ORGANISATION else shared.get(role))
            if entry is None:
                if service != ORGANISATION:
                    findings.append(Finding(service, role, "nobody",
                                            f"nobody is named for {_name(policy, role)} (nor organisation-wide)"))
                continue
            effective[role] = entry
            if entry.service != service:
                continue  # inherited from "*": reported once, there
            people = entry.people
            if len(people) < 2:
                who = people[0].name if people else "nobody"
                findings.append(Finding(service, role, "too_few_people",
                                        f"{_name(policy, role)} hangs on one person ({who}): add a delegate"))
        findings += _shared_people(policy, service, effective, overrides, at)
    for service in scopes:
        for entry in entries.get(service, ()):
            findings += _override_gaps(policy, entry, overrides.get(service, ()), at)
            if entry.role in round_the_clock_roles(policy):
                findings += _coverage(policy, entry, overrides.get(service, ()), at)
    return SpofReport(at, tuple(findings))


def _shared_people(policy: OrganisationPolicy, service: str, effective: Mapping[str, RosterEntry],
                   overrides: Mapping[str, Sequence[Override]], at: datetime) -> list[Finding]:
    found: list[Finding] = []
    sole: dict[str, list[str]] = {}
    primary: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for role, entry in effective.items():
        people = entry.people
        if len(people) == 1:
            sole.setdefault(people[0].id, []).append(role)
            names[people[0].id] = people[0].name
        holders = chain_at(entry, overrides.get(entry.service, ()), at)
        if holders is not None and holders.primary is not None:
            primary.setdefault(holders.primary.id, []).append(role)
            names[holders.primary.id] = holders.primary.name
    def own(roles: list[str]) -> bool:  # rows all inherited from "*" are reported once, under "*"
        return any(effective[r].service == service for r in roles)

    for person, roles in sole.items():
        if len(roles) >= 2 and own(roles):
            found.append(Finding(service, ", ".join(roles), "sole_for_two",
                                 f"{names[person]} is the only person for "
                                 f"{' and '.join(_name(policy, r) for r in roles)}"))
    for person, roles in primary.items():
        if len(roles) >= 2 and own(roles) and person not in {p for p, r in sole.items() if len(r) >= 2}:
            found.append(Finding(service, ", ".join(roles), "primary_of_two",
                                 f"{names[person]} is the primary of both "
                                 f"{' and '.join(_name(policy, r) for r in roles)} at once"))
    return found


def _override_gaps(policy: OrganisationPolicy, entry: RosterEntry, overrides: Sequence[Override],
                   at: datetime) -> list[Finding]:
    mine = sorted((o for o in overrides if o.role == entry.role and o.end > at), key=lambda o: o.start)
    found = []
    for override in mine:
        during = chain_at(entry, [override], max(at, override.start))
        if during is not None and len(during.chain) < 2:
            found.append(Finding(entry.service, entry.role, "override_alone",
                                 f"while {override.person} stands in ({override.start:%Y-%m-%d %H:%M} to "
                                 f"{override.end:%Y-%m-%d %H:%M} UTC), {_name(policy, entry.role)} has nobody else"))
    for earlier, later in pairwise(mine):
        hole = later.start - earlier.end
        if timedelta(0) < hole < SHORT_GAP:
            away = entry.primary_at(earlier.end)
            found.append(Finding(entry.service, entry.role, "override_gap",
                                 f"between the overrides, from {earlier.end:%Y-%m-%d %H:%M} to "
                                 f"{later.start:%Y-%m-%d %H:%M} UTC, {_name(policy, entry.role)} goes back to "
                                 f"{away.name if away else 'nobody'}"))
    return found


def _coverage(policy: OrganisationPolicy, entry: RosterEntry, overrides: Sequence[Override],
              at: datetime) -> list[Finding]:
    """Every hour ahead (a few weeks, or a whole turn of the rotation), the role has a holder."""
    if entry.rotation is None:
        return []
    horizon = min(MAX_HORIZON, max(MIN_HORIZON, timedelta(weeks=len(entry.rotation.people) + 1)))
    start = at.replace(minute=0, second=0, microsecond=0)
    moments = [start + STEP * n for n in range(int(horizon / STEP))]
    moments += entry.rotation.handoffs(at, at + horizon)  # the hand-offs themselves, DST included
    for moment in sorted(moments):
        holders = chain_at(entry, overrides, moment)
        if holders is None or holders.primary is None:
            begins = entry.rotation.first_handoff
            return [Finding(entry.service, entry.role, "coverage",
                            f"{_name(policy, entry.role)} is needed 24x7 but nobody holds it from "
                            f"{moment:%Y-%m-%d %H:%M} UTC (the rotation starts {begins:%Y-%m-%d %H:%M %Z}); "
                            "name a primary")]
    return []
