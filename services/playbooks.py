"""Playbook use cases: submit (verified, approvers told), approve, reject, show, list, coverage."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from incident import playbook as pb
from incident.errors import ConcurrencyConflict, ConfigurationError, NotFound
from incident.model import Incident, TimelineEvent
from incident.people import Person
from services.bus import Dependencies
from services.ports import Alert, PlaybookRepository
from services.roster_service import known_service

log = logging.getLogger(__name__)
ATTEMPTS = 3


@dataclass(frozen=True)
class VersionView:
    version: pb.PlaybookVersion
    state: pb.State
    approvals: int
    needed: int


def _store(deps: Dependencies) -> PlaybookRepository:
    if deps.playbooks is None:
        raise ConfigurationError("composition", "playbooks", "no playbook store was configured")
    return deps.playbooks


def _service(deps: Dependencies, service: str) -> str:
    name = known_service(deps.policy, service)
    if name == "*":
        raise NotFound("playbooks belong to a service, not to the whole organisation ('*')")
    return name


def view(deps: Dependencies, version: pb.PlaybookVersion, latest: int) -> VersionView:
    policy, now = deps.policy.playbooks, deps.clock.now()
    return VersionView(version, version.state(now, policy, latest), len(version.valid_approvals(now, policy)),
                       policy.approvals_required)


async def submit(deps: Dependencies, service: str, text: str, author: Person) -> pb.PlaybookVersion:
    """Verify and store the next version (all of it, or nothing), then ask the approvers by email."""
    name = _service(deps, service)
    for attempt in range(ATTEMPTS):
        existing = await _store(deps).versions(name)
        version, event = pb.submit(name, text, author, deps.clock.now(), existing, deps.policy.playbooks)
        try:
            await _store(deps).add_version(version, event)
        except ConcurrencyConflict:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        await _ask_approvers(deps, version)
        return version
    raise AssertionError("unreachable")


async def _ask_approvers(deps: Dependencies, version: pb.PlaybookVersion) -> None:
    approvers = deps.policy.playbooks.approvers_of(version.service)
    addresses = [p.email for p in approvers if p.email and p.id != version.author.id]
    if deps.mailer is None or not addresses:
        return
    try:
        await deps.mailer.send_template(addresses, f"Playbook {version.service} v{version.version} to review",
                                        "playbook_review", {"version": version,
                                                            "needed": deps.policy.playbooks.approvals_required})
    except Exception:  # the version is stored; the Teams card and 'playbook list' still show it
        log.exception("could not mail the approvers of %s v%d", version.service, version.version)


async def _review(deps: Dependencies, service: str, number: int, actor: Person, comment: str | None,
                  enforce_roles: bool) -> VersionView:
    admins = deps.policy.admins if enforce_roles else None
    name = _service(deps, service)
    for attempt in range(ATTEMPTS):
        versions = await _store(deps).versions(name)
        found = next((v for v in versions if v.version == number), None)
        if found is None:
            raise NotFound(f"no playbook {name} v{number}")
        latest = versions[-1].version
        if comment is None:
            reviewed, event = pb.approve(found, actor, deps.clock.now(), latest, deps.policy.playbooks, admins)
        else:
            reviewed, event = pb.reject(found, actor, deps.clock.now(), comment, latest, deps.policy.playbooks,
                                        admins)
        try:
            await _store(deps).save_reviews(reviewed, event)
        except ConcurrencyConflict:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        return view(deps, reviewed, latest)
    raise AssertionError("unreachable")


async def approve(deps: Dependencies, service: str, number: int, actor: Person, *,
                  enforce_roles: bool = True) -> VersionView:
    """``enforce_roles=False``: an operator at the CLI need not be an approver; four eyes still apply."""
    return await _review(deps, service, number, actor, None, enforce_roles)


async def reject(deps: Dependencies, service: str, number: int, actor: Person, comment: str, *,
                 enforce_roles: bool = True) -> VersionView:
    return await _review(deps, service, number, actor, comment, enforce_roles)


async def show(deps: Dependencies, service: str, number: int | None = None) -> VersionView:
    name = _service(deps, service)
    versions = await _store(deps).versions(name)
    if not versions:
        raise NotFound(f"no playbook for {name} yet")
    if number is None:
        chosen = pb.current_approved(versions, deps.clock.now(), deps.policy.playbooks) or versions[-1]
    else:
        chosen = next((v for v in versions if v.version == number), None)  # type: ignore[assignment]
        if chosen is None:
            raise NotFound(f"no playbook {name} v{number} (versions 1 to {versions[-1].version})")
    return view(deps, chosen, versions[-1].version)


async def current(deps: Dependencies, service: str) -> VersionView:
    """The approved, unexpired version incidents of the service link to; NotFound when there is none."""
    name = _service(deps, service)
    versions = await _store(deps).versions(name)
    approved = pb.current_approved(versions, deps.clock.now(), deps.policy.playbooks)
    if approved is None:
        raise NotFound(f"{name} has no approved, unexpired playbook")
    return view(deps, approved, versions[-1].version)


async def listing(deps: Dependencies, service: str = "") -> list[VersionView]:
    services = [_service(deps, service)] if service else list(deps.policy.services)
    found: list[VersionView] = []
    for name in services:
        versions = await _store(deps).versions(name)
        found += [view(deps, v, versions[-1].version) for v in versions]
    return found


async def coverage(deps: Dependencies) -> list[str]:
    """Services without an approved, unexpired playbook: one partition read per service."""
    versions = {s: await _store(deps).versions(s) for s in deps.policy.services}
    return pb.coverage_gaps(deps.policy.services, versions, deps.clock.now(), deps.policy.playbooks)


async def approved_for(deps: Dependencies, services: Sequence[str]) -> dict[str, pb.PlaybookVersion]:
    """The current approved version of each service that has one (what incidents of it link to)."""
    if deps.playbooks is None:
        return {}
    found = {}
    for service in services:
        current = pb.current_approved(await deps.playbooks.current_versions(service), deps.clock.now(),
                                      deps.policy.playbooks)
        if current is not None:
            found[service] = current
    return found


async def flag_missing_playbook(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """At declaration: a service of the incident without an approved playbook is said in its space."""
    if not incident.services or deps.playbooks is None:
        return
    attached = {service for service, _ in incident.playbooks}  # chosen at declaration
    missing = [s for s in incident.services if s not in attached]
    if missing:
        commander = incident.holder("commander")
        await deps.notifier.alert(incident, Alert("no_playbook", (commander,) if commander else (),
                                                  {"services": ", ".join(missing)}))
