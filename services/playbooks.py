"""Playbook use cases: the handlers of submit (verified; approvers told by a reaction), approve and reject, and
the reads show, list, coverage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from incident import playbook as pb
from incident.errors import ConfigurationError, NotFound
from incident.model import Incident, TimelineEvent
from incident.playbook_commands import ApprovePlaybook, PlaybookSubmitted, RejectPlaybook, SubmitPlaybook
from services.bus import Dependencies, EventReaction, Handler, Recorded, promise_reactions
from services.conflict_retry import Write, until_stored
from services.once import once
from services.ports import Alert, PlaybookRepository
from services.roster_service import known_service

REVIEW_MAIL_LEASE = timedelta(minutes=10)  # a review mail whose send crashed may be sent again after this


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


async def submit(cmd: SubmitPlaybook, deps: Dependencies) -> Recorded:
    """Verify and store the next version (all of it, or nothing); its approvers are asked by a reaction."""
    name = _service(deps, cmd.service)

    async def attempt() -> tuple[pb.PlaybookVersion, Write]:
        existing = await _store(deps).versions(name)
        version, event = pb.submit(name, cmd.text, cmd.actor, deps.clock.now(), existing, deps.policy.playbooks)

        async def write() -> None:
            await promise_reactions(deps, PlaybookSubmitted(version.service, version.version))
            await _store(deps).add_version(version, event)

        return version, write

    version = await until_stored(attempt, f"{name}'s playbook kept changing under us; try again")
    return Recorded(version, (PlaybookSubmitted(version.service, version.version),))


async def ask_approvers(event: PlaybookSubmitted, deps: Dependencies) -> None:
    """The approvers (not the author) by email, once per version. A failed send raises NotificationFailed, and
    the bus retries this reaction from due work; the Teams card and 'playbook list' show the version meanwhile."""
    version = next((v for v in await _store(deps).versions(event.service) if v.version == event.version), None)
    if version is None:
        return
    approvers = deps.policy.playbooks.approvers_of(version.service)
    addresses = [p.email for p in approvers if p.email and p.id != version.author.id]
    if deps.mailer is None or not addresses:
        return
    key = f"playbook-review:{version.service}:{version.version}"
    async with once(deps.idempotency, key, deps.clock.now(), REVIEW_MAIL_LEASE) as claim:
        if claim.owned:
            title = (f"Procédure {version.service} v{version.version} à relire" if deps.policy.language == "fr"
                     else f"Playbook {version.service} v{version.version} to review")
            await deps.mailer.send_template(addresses, title,
                                            "playbook_review", {"version": version,
                                                                "needed": deps.policy.playbooks.approvals_required,
                                                                "language": deps.policy.language})
            claim.result = "sent"


async def review(cmd: ApprovePlaybook | RejectPlaybook, deps: Dependencies) -> VersionView:
    """Approve or reject a version, checked against its reviews as stored now."""
    admins = deps.policy.admins if cmd.enforce_roles else None
    name = _service(deps, cmd.service)

    async def attempt() -> tuple[VersionView, Write]:
        versions = await _store(deps).versions(name)
        found = next((v for v in versions if v.version == cmd.version), None)
        if found is None:
            raise NotFound(f"no playbook {name} v{cmd.version}")
        latest = versions[-1].version
        if isinstance(cmd, ApprovePlaybook):
            reviewed, event = pb.approve(found, cmd.actor, deps.clock.now(), latest, deps.policy.playbooks, admins)
        else:
            reviewed, event = pb.reject(found, cmd.actor, deps.clock.now(), cmd.comment, latest,
                                        deps.policy.playbooks, admins)
        return view(deps, reviewed, latest), lambda: _store(deps).save_reviews(reviewed, event)

    return await until_stored(attempt, f"{name} v{cmd.version} kept changing under us; try again")


PLAYBOOK_HANDLERS: dict[type, Handler] = {SubmitPlaybook: submit, ApprovePlaybook: review, RejectPlaybook: review}
PLAYBOOK_REACTIONS: dict[type, tuple[EventReaction, ...]] = {PlaybookSubmitted: (ask_approvers,)}


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
