"""The message bus: routes each command to its one handler through a table, with shared dependencies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from incident.errors import DevopsbotError
from incident.model import Incident, TimelineEvent
from incident.policy import OrganisationPolicy
from services.action_link_tokens import ActionLinkSigner
from services.bridge_ports import MeetingRooms
from services.outbox import DELIVERY_KEY, SWEEP_DELAY, OutboxSweeps
from services.ports import (
    AuditLog,
    Clock,
    ConversationReferenceRepository,
    DueItem,
    DueWorkRepository,
    IdempotencyStore,
    IncidentRepository,
    IssueTracker,
    Mailer,
    Notifier,
    OutboxEntry,
    PlaybookRepository,
    RosterRepository,
    StateStore,
    TeamsHealth,
)
from services.signal_ports import SignalRepository
from services.status_page_ports import StatusPagePublishing
from services.telemetry_ports import INCIDENT_EVENTS, REACTIONS_RETRIED, telemetry
from services.tracing_ports import traced
from services.triage_ports import TriageCards


@dataclass(frozen=True)
class Dependencies:
    """What handlers may use; built once by the composition root (or a test, with fakes)."""

    policy: OrganisationPolicy
    clock: Clock
    incidents: IncidentRepository
    due_work: DueWorkRepository
    conversations: ConversationReferenceRepository
    roster: RosterRepository
    idempotency: IdempotencyStore
    notifier: Notifier
    mailer: Mailer | None = None  # None: email is not configured
    health: TeamsHealth | None = None  # None: Teams is always tried (tests of Teams alone)
    audit: AuditLog | None = None
    state: StateStore | None = None
    links: ActionLinkSigner | None = None  # None: email carries no action links
    public_url: str = "http://127.0.0.1:7071"
    inbound_mailbox: str = ""  # where replies go, when email in is on
    sweeps: OutboxSweeps = field(default_factory=lambda: OutboxSweeps())
    tracker: IssueTracker | None = None  # None: follow-ups are tracked in devopsbot alone
    playbooks: PlaybookRepository | None = None  # the composition root always sets it; tests may leave it out
    signals: SignalRepository | None = None  # alerts in (services.alert_intake); the composition root sets it
    meetings: MeetingRooms | None = None  # None: no meeting bridge (services/bridge.py); the plan's phone bridge
    bus: MessageBus | None = None  # set by the bus itself: a reaction's follow-up command goes through it
    triage: TriageCards | None = None  # triage cards of alerts (services.alert_triage); None: no card shown
    status_page: StatusPagePublishing | None = None  # None: no public status page is published


log = logging.getLogger(__name__)
RETRY_REACTION = "retry_reaction"
REACTION_RETRY_AFTER = timedelta(minutes=1)
REACTION_CONCURRENCY = 4  # saves whose reactions run at once in one process
# While a burst of people (BURST or more at once) is being answered, reactions wait to start, at most
# ANSWERS_FIRST_SECONDS: the CPU goes to the answers. One person at a time shares it with the reactions.
BURST = 2
ANSWERS_FIRST_SECONDS = 2.0

RETRY_EVENT_REACTION = "retry_event_reaction"
EVENT_SWEEP = "event_sweep"

Handler = Callable[[Any, Dependencies], Awaitable[Any]]
# A reaction to stored timeline events: (the incident, the events of that save, dependencies).
Reaction = Callable[[Incident, Sequence[TimelineEvent], Dependencies], Awaitable[None]]
# A reaction to an event of a change outside an incident (a playbook submitted): (the event, dependencies).
EventReaction = Callable[[Any, Dependencies], Awaitable[None]]


@dataclass(frozen=True)
class Recorded:
    """What the handler of a change outside an incident returns: the caller's answer, and the events its
    transaction stored, each told to the reactions of its type. Events are dataclasses of str and int fields
    (ids, not copies), so a failed reaction's retry carries them as data and reads what they name again.
    A handler whose events have reactions calls ``promise_reactions`` for each before storing (its outbox)."""

    answer: Any
    events: tuple[object, ...] = ()


def event_work(kind: str, event: object, due: datetime, reaction: str = "") -> DueItem:
    """Due work that carries an event outside any incident as data (its dataclass fields)."""
    fields = asdict(event)  # type: ignore[call-overload]  # events are dataclasses (see Recorded)
    return DueItem(kind, f"event:{type(event).__name__}", due,
                   {"reaction": reaction, "event": type(event).__name__, "fields": json.dumps(fields, sort_keys=True)},
                   subject=f"{reaction}:" + "-".join(str(v) for v in fields.values()))


async def promise_reactions(deps: Dependencies, event: object) -> None:
    """Called by a handler of a change outside an incident just before it stores the change: due work that
    sweeps the event's reactions SWEEP_DELAY later. A process that stops between the store and the reactions
    (the bus runs them in the background) therefore loses nothing: the sweep tells the event. Normally the
    reactions have run by then and, being exactly-once (services.once), do nothing the second time. If the
    store then fails, the reactions find nothing stored and do nothing. This is the outbox of such changes:
    the promise is written before the change, as an incident's sweep is (services.outbox)."""
    await deps.due_work.schedule(event_work(EVENT_SWEEP, event, deps.clock.now() + SWEEP_DELAY))


def repeatable(reaction: Reaction) -> Reaction:
    """Mark a reaction whose second run changes nothing (it schedules due work, or redraws a card to the
    stored state): the outbox need not record that it ran, which saves a write per change."""
    setattr(reaction, "repeatable", True)  # noqa: B010 - an attribute on a function; mypy refuses the dot form
    return reaction


@dataclass
class _Answering:
    """How many people are being answered in one event loop; ``idle`` is set while fewer than BURST are."""

    count: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()


class MessageBus:
    """Commands go to their handler; what the handler stored then goes to the reactions of its kinds."""

    def __init__(self, dependencies: Dependencies, handlers: Mapping[type, Handler],
                 reactions: Mapping[str, Sequence[Reaction]] | None = None,
                 default_reactions: Sequence[Reaction] = (),
                 event_reactions: Mapping[type, Sequence[EventReaction]] | None = None) -> None:
        self.dependencies = replace(dependencies, bus=self)
        self._handlers = dict(handlers)
        self._reactions = dict(reactions or {})
        self._event_reactions = dict(event_reactions or {})
        self._default_reactions = tuple(default_reactions)
        self._pending: set[asyncio.Task[None]] = set()
        self._last: dict[str, asyncio.Task[None]] = {}  # per incident: its reactions run one after another
        # One semaphore per event loop (tests and the CLI run several loops in one process, one after another).
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())
        self._answered: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Answering] = (
            weakref.WeakKeyDictionary())

    def _answering_now(self) -> _Answering:
        return self._answered.setdefault(asyncio.get_running_loop(), _Answering())

    @contextlib.asynccontextmanager
    async def answering(self) -> AsyncIterator[None]:
        """Around answering a person (an HTTP request): while a burst is being answered, reactions wait to
        start until it is over, or ANSWERS_FIRST_SECONDS at most, so the burst is answered first."""
        answering = self._answering_now()
        answering.count += 1
        if answering.count >= BURST:
            answering.idle.clear()
        try:
            yield
        finally:
            answering.count -= 1
            if answering.count < BURST:
                answering.idle.set()

    async def handle(self, command: object) -> Any:
        """Run the command's handler; what it stored is reacted to in the background, in order per
        incident, so the person who asked gets the answer as soon as the change is stored."""
        try:
            handler = self._handlers[type(command)]
        except KeyError:
            raise TypeError(f"no handler for {type(command).__name__}") from None
        with traced(f"command {type(command).__name__}", str(getattr(command, "incident_id", "") or "")) as operation:
            result = await handler(command, self.dependencies)
            if isinstance(result, Incident):
                operation.incident(result.id)
            return self._after(result)

    def _after(self, result: Any) -> Any:
        """What the handler stored goes to its reactions; the caller gets its answer."""
        if isinstance(result, Incident) and result.just_stored:
            events, result.just_stored = result.just_stored, []
            for stored in events:
                telemetry().count(INCIDENT_EVENTS, {"kind": stored.kind})
            self._schedule(result.id, self._react(result.copy(), events))
        if isinstance(result, Recorded):
            for event in result.events:
                self._schedule(f"event:{type(event).__name__}", self._react_to_event(event))
            return result.answer
        return result

    def _schedule(self, incident_id: str, work: Coroutine[Any, Any, None]) -> None:
        previous = self._last.get(incident_id)

        loop = asyncio.get_running_loop()
        slots = self._slots.setdefault(loop, asyncio.Semaphore(REACTION_CONCURRENCY))

        async def in_order() -> None:
            try:
                if previous is not None:
                    await asyncio.gather(previous, return_exceptions=True)
                answering = self._answering_now()
                if not answering.idle.is_set():  # waiting here, not in a slot: a backlog is held once, not per 4
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(answering.idle.wait(), ANSWERS_FIRST_SECONDS)
                async with slots:  # a burst of requests is answered first; its reactions follow a few at a time
                    await work
            finally:
                work.close()  # cancelled before it started (the loop ended): no "never awaited" warning

        task = loop.create_task(in_order())
        self._last[incident_id] = task
        self._pending.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._pending.discard(done)
            if self._last.get(incident_id) is done:
                del self._last[incident_id]

        task.add_done_callback(finished)

    async def _retry_later(self, name: str, incident: Incident, events: Sequence[TimelineEvent]) -> None:
        """A failed reaction becomes due work, so a timer tick runs it again: nothing is lost with the process."""
        telemetry().count(REACTIONS_RETRIED, {"reaction": name})
        try:
            # Named by the reaction: two reactions of one save failing at once are two retries, not one.
            await self.dependencies.due_work.schedule(DueItem(
                RETRY_REACTION, incident.id, self.dependencies.clock.now() + REACTION_RETRY_AFTER,
                {"reaction": name, "events": ",".join(str(e.sequence) for e in events)}, subject=name))
        except DevopsbotError:
            log.exception("could not even schedule the retry of %s for %s", name, incident.id)

    def reaction_named(self, name: str) -> Reaction | None:
        for reactions in (*self._reactions.values(), self._default_reactions):
            for reaction in reactions:
                if name == getattr(reaction, "__name__", ""):
                    return reaction
                former: dict[str, Reaction] = getattr(reaction, "former", {})  # what a reaction replaced
                if name in former:
                    return former[name]
        return None

    async def retry_reaction(self, incident: Incident, name: str, sequences: Sequence[int]) -> None:
        """Run one reaction again for the events it missed; a failure raises, for the tick's backoff."""
        reaction = self.reaction_named(name)
        if reaction is None:
            log.error("no reaction named %r to retry for %s", name, incident.id)
            return
        wanted = set(sequences)
        events = [e for e in await self.dependencies.incidents.timeline(incident.id) if e.sequence in wanted]
        token = DELIVERY_KEY.set(f"{name}:{min(wanted, default=0)}")  # the same notification as the first try
        try:
            await reaction(incident, events, self.dependencies)
        finally:
            DELIVERY_KEY.reset(token)

    async def _react_to_event(self, event: object) -> None:
        """Each reaction of the event's type, in the background like an incident's; a failure the reaction
        expects (mail unreachable) becomes due work a timer tick runs again, with backoff."""
        for reaction in self._event_reactions.get(type(event), ()):
            name = getattr(reaction, "__name__", str(reaction))
            try:
                with traced(f"reaction {name}"):
                    await reaction(event, self.dependencies)
            except DevopsbotError as error:
                log.warning("%s for %s did not complete, retrying later: %s", name, event, error)
                await self._retry_event_later(name, event)
            except Exception:  # logged in full; nothing to retry: the same input would fail the same way
                log.exception("%s failed for %s", name, event)

    async def _retry_event_later(self, name: str, event: object) -> None:
        try:
            await self.dependencies.due_work.schedule(event_work(
                RETRY_EVENT_REACTION, event, self.dependencies.clock.now() + REACTION_RETRY_AFTER, name))
        except DevopsbotError:
            log.exception("could not even schedule the retry of %s for %s", name, event)

    def _event_of(self, payload: Mapping[str, str]) -> tuple[type, object]:
        kind = next((k for k in self._event_reactions if k.__name__ == payload.get("event")), object)
        return kind, kind(**json.loads(payload.get("fields", "{}"))) if kind is not object else object()

    async def retry_event_reaction(self, payload: Mapping[str, str]) -> None:
        """Run one event reaction again from its due work; a failure raises, for the tick's backoff."""
        kind, event = self._event_of(payload)
        reaction = next((r for r in self._event_reactions.get(kind, ())
                         if getattr(r, "__name__", "") == payload.get("reaction")), None)
        if reaction is None:
            log.error("no reaction %r to %r to retry", payload.get("reaction"), payload.get("event"))
            return
        await reaction(event, self.dependencies)

    async def sweep_event(self, payload: Mapping[str, str]) -> None:
        """The event's reactions once more, from the due work its handler scheduled before storing (see
        ``promise_reactions``): what a crash between the store and the reactions left untold is told now, and
        what was told is not told again (event reactions are exactly-once themselves). A failure raises."""
        kind, event = self._event_of(payload)
        for reaction in self._event_reactions.get(kind, ()):
            await reaction(event, self.dependencies)

    async def drain(self) -> None:
        """Wait until every reaction scheduled so far has run (the CLI, shutdown and tests use this)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def _chosen(self, events: Sequence[TimelineEvent]) -> list[Reaction]:
        chosen: list[Reaction] = []
        for event in events:
            for reaction in self._reactions.get(event.kind, self._default_reactions):
                if reaction not in chosen:
                    chosen.append(reaction)
        return chosen

    async def _react(self, incident: Incident, events: Sequence[TimelineEvent],
                     entry: OutboxEntry | None = None) -> None:
        """Each reaction runs once per save, even when several stored events call for it. A failing
        reaction is logged and the others still run: the change itself is already stored.

        The save's outbox entry records each reaction once it has run (or become due work of its own),
        so a sweep after a crash runs only the rest; the entry is cleared when all have run."""
        if not events:
            return
        sequences = tuple(e.sequence for e in events)
        entry = entry or OutboxEntry(incident.id, min(sequences), sequences)
        chosen = [r for r in self._chosen(events) if getattr(r, "__name__", str(r)) not in entry.done]
        for position, reaction in enumerate(chosen):
            name = getattr(reaction, "__name__", str(reaction))
            token = DELIVERY_KEY.set(f"{name}:{entry.first_sequence}")
            try:
                with traced(f"reaction {name}", incident.id):
                    await reaction(incident, events, self.dependencies)
            except DevopsbotError as error:  # expected failures (Teams unreachable, no team yet): retried
                log.warning("%s for %s did not complete, retrying later: %s", name, incident.id, error)
                await self._retry_later(name, incident, events)
            except Exception:  # logged in full; nothing to retry: the same input would fail the same way
                log.exception("%s failed for %s", name, incident.id)
            finally:
                DELIVERY_KEY.reset(token)
            entry = replace(entry, done=(*entry.done, name))
            try:
                if position == len(chosen) - 1:
                    await self.dependencies.incidents.outbox_clear(entry)
                elif not getattr(reaction, "repeatable", False):
                    await self.dependencies.incidents.outbox_progress(entry)
            except DevopsbotError as error:  # the sweep will find the entry and run what is left
                log.warning("could not record the outbox of %s: %s", incident.id, error)
        if not chosen:
            await self.dependencies.incidents.outbox_clear(entry)

    async def sweep_outbox(self, incident: Incident) -> int:
        """Run what a crash left untold: the reactions of stored saves not yet recorded as run."""
        entries = await self.dependencies.incidents.outbox(incident.id)
        if not entries:
            return 0
        timeline = await self.dependencies.incidents.timeline(incident.id)
        now = self.dependencies.clock.now()
        for entry in entries:
            wanted = set(entry.sequences)
            events = [e for e in timeline if e.sequence in wanted]
            if not events:
                await self.dependencies.incidents.outbox_clear(entry)
                continue
            if max(e.at for e in events) > now - SWEEP_DELAY:  # a live process may still be telling it
                await self.dependencies.sweeps.ensure(self.dependencies.due_work, incident.id, now)
                continue
            log.warning("%s: running the reactions a stopped process left (events %s)", incident.id,
                        ",".join(map(str, entry.sequences)))
            await self._react(incident, events, entry)
        return len(entries)
