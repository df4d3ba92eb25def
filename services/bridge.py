"""The meeting bridge: a Teams meeting opened for an incident, once, and its join link stored before anyone
is told. On declaration it is a reaction (the declaration never waits for it, nor fails on it); the
``bridge`` command opens one later. When none can be opened, whoever asked is told why, with the plan's
phone bridge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from incident.bridge import BRIDGE_OPENED, RecordBridge, phone_bridge, record_bridge, wants_bridge
from incident.errors import GraphError
from incident.model import Incident, Person, TimelineEvent
from services.bus import Dependencies, Handler, Reaction
from services.handlers import change_incident
from services.once import once
from services.ports import Alert

BRIDGE_LEASE = timedelta(minutes=5)  # a claim whose opener stopped is taken over after this
MEETING_LENGTH = timedelta(hours=4)  # the meeting's planned end; Teams keeps the link working after it
NOT_CONFIGURED, REFUSED, UNREACHABLE, BUSY = "not_configured", "refused", "unreachable", "busy"


@dataclass(frozen=True)
class BridgeOutcome:
    """The join link, or why there is none (one of the reasons above)."""

    url: str = ""
    reason: str = ""


async def record(cmd: RecordBridge, deps: Dependencies) -> Incident:
    """The bus handler: the link is stored on the incident with a ``bridge_opened`` event (once)."""
    now = deps.clock.now()
    incident, _ = await change_incident(deps, cmd.incident_id, lambda i: record_bridge(i, cmd, at=now))
    return incident


BRIDGE_HANDLERS: dict[type, Handler] = {RecordBridge: record}


async def ensure_bridge(deps: Dependencies, incident: Incident) -> BridgeOutcome:
    """The incident's bridge: the stored link, or a meeting opened now and stored before it is told.

    Exactly once per incident (services/once.py keyed by its id): the link is recorded as the claim's result
    as soon as Graph gives it, so a retry after a failed store stores that link instead of opening another
    meeting. A refusal or a timeout releases the claim: nothing was opened, a later ``bridge`` tries again."""
    if incident.bridge:
        return BridgeOutcome(incident.bridge)
    if deps.meetings is None:
        return BridgeOutcome(reason=NOT_CONFIGURED)
    async with once(deps.idempotency, f"bridge:{incident.id}", deps.clock.now(), BRIDGE_LEASE) as claim:
        if not claim.owned:
            if not claim.record.done:
                return BridgeOutcome(reason=BUSY)
            url = claim.record.result
        else:
            title = "Security incident" if incident.private else incident.title
            start = deps.clock.now()
            try:
                url = await deps.meetings.open_meeting(f"{incident.id} {title}", start, start + MEETING_LENGTH)
            except GraphError as error:
                claim.release_instead()
                refused = 400 <= error.status < 500 and error.status != 429  # throttled: it did not answer
                return BridgeOutcome(reason=REFUSED if refused else UNREACHABLE)
            await claim.complete(url)
    await _store(deps, RecordBridge(incident.id, url))
    return BridgeOutcome(url)


async def _store(deps: Dependencies, cmd: RecordBridge) -> None:
    """Through the bus, so the stored event's reactions (cards redrawn, people told) follow at once. Without
    one (dependencies built outside any bus) the save's outbox sweep tells them a little later."""
    if deps.bus is not None:
        await deps.bus.handle(cmd)
    else:
        await record(cmd, deps)


def unavailable_alert(incident: Incident, deps: Dependencies, reason: str, to: Person | None) -> Alert:
    """One sentence to whoever should know why there is no meeting, with the plan's phone bridge."""
    phone = phone_bridge(incident, deps.policy)
    return Alert(f"bridge_{reason}", (to,) if to else (), {"phone": phone or "-"})


async def open_bridge(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """On declaration, for a severity with ``bridge = true``: the meeting, or the commander (else the
    declarer) told why not. Never raises for Graph: the declaration stands whatever Graph does."""
    if not wants_bridge(incident, deps.policy):
        return
    outcome = await ensure_bridge(deps, incident)
    if outcome.reason and outcome.reason != BUSY:
        told = incident.holder("commander") or incident.declared_by
        await deps.notifier.alert(incident, unavailable_alert(incident, deps, outcome.reason, told))


async def tell_bridge(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """The invitation to the bridge, in the incident's space: its people @mentioned with the join link (a
    private incident's space holds only its people)."""
    event = next((e for e in events if e.kind == BRIDGE_OPENED), None)
    if event is None:
        return
    people = list(dict.fromkeys((*incident.roles.values(), *incident.invitees)))
    await deps.notifier.alert(incident, Alert("bridge_opened", tuple(people), {"url": event.after.get("url", "")}))


def bridge_reactions(refresh_cards: Reaction) -> dict[str, Sequence[Reaction]]:
    """A stored link redraws the cards (the join button shows) and invites the incident's people."""
    return {BRIDGE_OPENED: (refresh_cards, tell_bridge)}
