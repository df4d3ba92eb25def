"""The roster's use cases: who holds a role now, changing rows and overrides, and the weekly SPOF report."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from incident.access import is_admin
from incident.errors import InvalidValue, NotPermitted, UnknownChoice
from incident.people import Person
from incident.policy import OrganisationPolicy
from incident.roster import ORGANISATION, Holders, Override, RosterEntry, Rotation, holders_at
from incident.roster_check import SpofReport, spof_report
from services.once import once
from services.ports import IdempotencyStore, Mailer, RosterPartition, RosterRepository

log = logging.getLogger(__name__)
REPORT_LEASE = timedelta(hours=1)


def known_service(policy: OrganisationPolicy, service: str) -> str:
    """The service as configured, or ``*``; anything else is refused, naming the valid ones."""
    name = service.strip()
    if name == ORGANISATION or not policy.services or name in policy.services:
        return name
    raise UnknownChoice("service", name, policy.services, reason=f"unknown service '{name}' (known: "
                        f"{', '.join(policy.services)}, or {ORGANISATION} for the whole organisation)")


def known_role(policy: OrganisationPolicy, role: str) -> str:
    """A role by its key, its name, or its key with dashes (``communications-lead``), in any case: the
    domain's one rule (``OrganisationPolicy.role_named``), which raises naming the known roles."""
    return policy.role_named(role).key


def may_change_roster(policy: OrganisationPolicy, actor: Person) -> None:
    if not is_admin(actor, policy.admins):
        raise NotPermitted("only incident admins ([teams] admins in the organisation file) may change the roster")


async def holders(roster: RosterRepository, services: Iterable[str], role: str, at: datetime) -> Holders | None:
    """Who holds ``role`` at ``at`` for the first of ``services`` with a row for it, else organisation-wide.
    Each service is one single-partition read; the organisation's row is read only when needed."""
    for service in services:
        if service == ORGANISATION:
            continue
        own = await roster.partition(service)
        if any(e.role == role for e in own.entries):
            return holders_at(own.entries, own.overrides, (), (), service, role, at)
    shared = await roster.partition(ORGANISATION)
    return holders_at((), (), shared.entries, shared.overrides, ORGANISATION, role, at)


async def chain_for(roster: RosterRepository, services: Iterable[str], role: str, at: datetime) -> tuple[Person, ...]:
    found = await holders(roster, services, role, at)
    return found.chain if found else ()


async def set_role(roster: RosterRepository, policy: OrganisationPolicy, service: str, role: str,
                   people: Sequence[Person], rotation: Rotation | None = None) -> RosterEntry:
    """Set a role's row: ``people`` are the primary then the delegates (with a rotation, all delegates)."""
    service, role = known_service(policy, service), known_role(policy, role)
    if rotation is None and not people:
        raise InvalidValue("people", "name the primary, then the delegates in order")
    primary, delegates = (None, tuple(people)) if rotation else (people[0], tuple(people[1:]))
    entry = RosterEntry(service, role, primary, delegates, rotation)
    await roster.put(entry)
    return entry


async def add_override(roster: RosterRepository, policy: OrganisationPolicy, service: str, role: str,
                       person: Person, start: datetime, end: datetime, *, actor: Person, now: datetime,
                       reason: str = "") -> Override:
    service, role = known_service(policy, service), known_role(policy, role)
    if end <= now:
        raise InvalidValue("override", "ends in the past")
    override = Override(service, role, person, start, end, created_by=actor, reason=reason.strip()[:500])
    await roster.add_override(override)
    return override


async def all_partitions(roster: RosterRepository, policy: OrganisationPolicy) -> list[RosterPartition]:
    """Every configured service's roster and the organisation's: one partition read each, no scan."""
    return [await roster.partition(s) for s in (*policy.services, ORGANISATION)]


async def check(roster: RosterRepository, policy: OrganisationPolicy, at: datetime) -> SpofReport:
    partitions = await all_partitions(roster, policy)
    return spof_report(policy, {p.service: p.entries for p in partitions},
                       {p.service: p.overrides for p in partitions}, at)


async def send_weekly_report(roster: RosterRepository, policy: OrganisationPolicy, mailer: Mailer | None,
                             idempotency: IdempotencyStore, admins: Sequence[Person], now: datetime) -> bool:
    """The SPOF report by email to the admin team, once per ISO week even if the timer runs twice.
    Returns whether it was sent now."""
    addresses = [p.email for p in admins if p.email]
    if mailer is None or not addresses:
        log.warning("roster report not sent: %s", "email is not configured" if mailer is None
                    else "nobody in [teams] admin_team has an email address")
        return False
    year, week, _ = now.isocalendar()
    key = f"roster-report:{year}-W{week:02d}"
    async with once(idempotency, key, now, REPORT_LEASE) as claim:  # a failure is released: the next tick tries
        if not claim.owned:
            return False
        report = await check(roster, policy, now)
        label = f"{year}-W{week:02d}"
        if policy.language == "fr":
            found = ("aucun point de défaillance unique" if report.ok
                     else f"{len(report.findings)} points de défaillance uniques")
            title = f"Vérification des astreintes {label} : {found}"
        else:
            found = "no single point of failure" if report.ok else f"{len(report.findings)} single points of failure"
            title = f"Roster check {label}: {found}"
        await mailer.send_template(addresses, title, "roster_report",
                                   {"report": report, "week": label, "language": policy.language})
        claim.result = "sent"
    return True


async def holders_for_roles(roster: RosterRepository, services: Sequence[str], roles: Iterable[str],
                            at: datetime) -> dict[str, Holders]:
    """Each role's holders at ``at`` for the incident's services (a role without a row is left out).
    Each partition (the services', then the organisation's) is read once, whatever the number of roles."""
    wanted = list(dict.fromkeys(roles))
    if not wanted:
        return {}
    partitions = await roster.partitions(list(dict.fromkeys((*services, ORGANISATION))))
    found: dict[str, Holders] = {}
    for role in wanted:
        row = next((p for p in partitions if any(e.role == role for e in p.entries)), None)
        held = holders_at(row.entries, row.overrides, row.entries, row.overrides, row.service, role, at) \
            if row is not None else None
        if held is not None and held.chain:
            found[role] = held
    return found


async def roles_from_roster(roster: RosterRepository, policy: OrganisationPolicy, severity: str,
                            services: Sequence[str], given: Iterable[str], at: datetime) -> dict[str, Person]:
    """At declaration: the severity's required roles nobody was given go to whoever holds them now."""
    try:
        required = policy.severity(severity).required_roles
    except InvalidValue:
        return {}  # the declaration itself says what is wrong with the severity
    missing = [r for r in required if r not in set(given)]
    # Only configured services: the declaration refuses the others anyway, after this lookup.
    known = [s for s in services if not policy.services or s in policy.services]
    found = await holders_for_roles(roster, known, missing, at)
    return {role: held.chain[0] for role, held in found.items()}
