"""Acting on an incident from an email link: check the link, show what it will do, then do it once.

Looking at a link changes nothing (mail scanners open links); only the form's POST acts. The
action runs as the same command a Teams button sends, as the person the link was made for, so it
lands in the timeline exactly as if done in Teams. A refused link changes nothing and is counted in the
audit log: one row per minute with a few samples, since anyone can send junk links as often as they like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from incident import commands
from incident.access import require
from incident.errors import NotPermitted
from incident.model import Incident
from services.action_link_tokens import LinkAction, LinkClaims, LinkProblem, LinkRejected, nonce_key
from services.bus import Dependencies, MessageBus
from services.mail_content import LINK_ACTIONS
from services.once import once
from services.ports import AuditRecord

# A claim left unfinished this long (a crash between claiming the link and recording its use) may be
# taken over, so the link works again; a finished claim marks the link used for good.
USED_RECORD_LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class LinkForm:
    """What the page needs to offer the action."""

    claims: LinkClaims
    incident: Incident
    exit_criteria: tuple[tuple[str, str], ...] = ()  # (key, text) of the incident type, for resolve


@dataclass(frozen=True)
class Submission:
    text: str = ""
    criteria_met: tuple[str, ...] = ()
    override_reason: str = ""


async def open_link(deps: Dependencies, token: str) -> LinkForm:
    """The link's claims and incident, if the link is good and unused; LinkRejected (audited) otherwise,
    and NotPermitted when its person may no longer do what it says."""
    claims = await _verified(deps, token)
    used = await deps.idempotency.find(nonce_key(claims))
    if used is not None and used.done:
        await _refuse(deps, LinkRejected(LinkProblem.USED, "the link has already been used", claims))
    incident = await deps.incidents.get(claims.incident_id)
    # Who may is decided now, not when the mail was sent: someone no longer in a private incident is
    # refused, and the page shows nothing of it. (Using the link goes through the same check.)
    try:
        require(incident, LINK_ACTIONS[claims.action], claims.person, deps.policy.admins)
    except NotPermitted:
        if deps.audit is not None:
            await deps.audit.record(AuditRecord(deps.clock.now(), "action_link_refused", {
                "problem": "not_permitted", "incident": claims.incident_id, "person": claims.person.id,
                "action": claims.action.value}))
        raise
    criteria: tuple[tuple[str, str], ...] = ()
    if claims.action is LinkAction.RESOLVE:
        criteria = tuple((c.key, c.text) for c in deps.policy.incident_type(incident.type).exit_criteria)
    return LinkForm(claims, incident, criteria)


async def use_link(bus: MessageBus, token: str, submission: Submission) -> Incident:
    """Do what the link says, once. A domain refusal (no update text, unmet exit criteria) leaves the
    link usable, so the person can correct the form and send it again."""
    deps = bus.dependencies
    claims = await _verified(deps, token)
    key = nonce_key(claims)
    async with once(deps.idempotency, key, deps.clock.now(), USED_RECORD_LEASE) as claim:
        if not claim.owned:
            await _refuse(deps, LinkRejected(LinkProblem.USED, "the link has already been used", claims))
        incident: Incident = await bus.handle(_command(claims, submission))
        claim.result = f"{claims.action.value} {incident.id}"
    return incident


def _command(claims: LinkClaims, submission: Submission) -> object:
    person, incident_id = claims.person, claims.incident_id
    if claims.action is LinkAction.ACKNOWLEDGE:
        return commands.Acknowledge(incident_id, person)
    if claims.action is LinkAction.UPDATE:
        return commands.PostUpdate(incident_id, submission.text, person)
    return commands.Resolve(incident_id, submission.text, person, criteria_met=submission.criteria_met,
                            override_reason=submission.override_reason)


async def _verified(deps: Dependencies, token: str) -> LinkClaims:
    if deps.links is None:
        raise LinkRejected(LinkProblem.MALFORMED, "action links are not enabled on this installation")
    try:
        return deps.links.verify(token, deps.clock.now())
    except LinkRejected as rejected:
        await _refuse(deps, rejected)
        raise  # not reached: _refuse raises


async def _refuse(deps: Dependencies, rejected: LinkRejected) -> None:
    detail = {"problem": rejected.problem.value, "detail": rejected.detail}
    if rejected.claims is not None:
        detail |= {"incident": rejected.claims.incident_id, "person": rejected.claims.person.id,
                   "action": rejected.claims.action.value}
    if deps.audit is not None:
        await deps.audit.count(AuditRecord(deps.clock.now(), "action_link_refused", detail))
    raise rejected


def submission_from_form(form: Mapping[str, Sequence[str]]) -> Submission:
    """The POSTed form (each field a list of values, as parsed from application/x-www-form-urlencoded)."""
    def first(name: str) -> str:
        values = form.get(name) or [""]
        return values[0]

    return Submission(text=first("text"), criteria_met=tuple(v for v in form.get("criteria", []) if v),
                      override_reason=first("override"))
