"""The message bus: routes each command to its one handler through a table, with shared dependencies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from incident.errors import DevopsbotError
from incident.model import Incident, TimelineEvent
from incident.policy import OrganisationPolicy
from services.ports import (
    Clock,
    ConversationReferenceRepository,
    DueItem,
    DueWorkRepository,
    IdempotencyStore,
    IncidentRepository,
    Mailer,
    Notifier,
    RosterRepository,
)


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


log = logging.getLogger(__name__)
RETRY_REACTION = "retry_reaction"
REACTION_RETRY_AFTER = timedelta(minutes=1)

Handler = Callable[[Any, Dependencies], Awaitable[Any]]
# A reaction to stored timeline events: (the incident, the events of that save, dependencies).
Reaction = Callable[[Incident, Sequence[TimelineEvent], Dependencies], Awaitable[None]]


class MessageBus:
    """Commands go to their handler; what the handler stored then goes to the reactions of its kinds."""

    def __init__(self, dependencies: Dependencies, handlers: Mapping[type, Handler],
                 reactions: Mapping[str, Sequence[Reaction]] | None = None,
                 default_reactions: Sequence[Reaction] = ()) -> None:
        self.dependencies = dependencies
        self._handlers = dict(handlers)
        self._reactions = dict(reactions or {})
        self._default_reactions = tuple(default_reactions)
        self._pending: set[asyncio.Task[None]] = set()
        self._last: dict[str, asyncio.Task[None]] = {}  # per incident: its reactions run one after another

    async def handle(self, command: object) -> Any:
        """Run the command's handler; what it stored is reacted to in the background, in order per
        incident, so the person who asked gets the answer as soon as the change is stored."""
        try:
            handler = self._handlers[type(command)]
        except KeyError:
            raise TypeError(f"no handler for {type(command).__name__}") from None
        result = await handler(command, self.dependencies)
        if isinstance(result, Incident) and result.just_stored:
            events, result.just_stored = result.just_stored, []
            self._schedule(result.id, self._react(result.copy(), events))
        return result

    def _schedule(self, incident_id: str, work: Coroutine[Any, Any, None]) -> None:
        previous = self._last.get(incident_id)

        async def in_order() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            await work

        task = asyncio.get_running_loop().create_task(in_order())
        self._last[incident_id] = task
        self._pending.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._pending.discard(done)
            if self._last.get(incident_id) is done:
                del self._last[incident_id]

        task.add_done_callback(finished)

    async def _retry_later(self, name: str, incident: Incident, events: Sequence[TimelineEvent]) -> None:
        """A failed reaction becomes due work, so a timer tick runs it again: nothing is lost with the process."""
        try:
            await self.dependencies.due_work.schedule(DueItem(
                RETRY_REACTION, incident.id, self.dependencies.clock.now() + REACTION_RETRY_AFTER,
                {"reaction": name, "events": ",".join(str(e.sequence) for e in events)}))
        except DevopsbotError:
            log.exception("could not even schedule the retry of %s for %s", name, incident.id)

    def reaction_named(self, name: str) -> Reaction | None:
        for reactions in (*self._reactions.values(), self._default_reactions):
            for reaction in reactions:
                if getattr(reaction, "__name__", "") == name:
                    return reaction
        return None

    async def retry_reaction(self, incident: Incident, name: str, sequences: Sequence[int]) -> None:
        """Run one reaction again for the events it missed; a failure raises, for the tick's backoff."""
        reaction = self.reaction_named(name)
        if reaction is None:
            log.error("no reaction named %r to retry for %s", name, incident.id)
            return
        wanted = set(sequences)
        events = [e for e in await self.dependencies.incidents.timeline(incident.id) if e.sequence in wanted]
        await reaction(incident, events, self.dependencies)

    async def drain(self) -> None:
        """Wait until every reaction scheduled so far has run (the CLI, shutdown and tests use this)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def _react(self, incident: Incident, events: Sequence[TimelineEvent]) -> None:
        """Each reaction runs once per save, even when several stored events call for it. A failing
        reaction is logged and the others still run: the change itself is already stored."""
        chosen: list[Reaction] = []
        for event in events:
            for reaction in self._reactions.get(event.kind, self._default_reactions):
                if reaction not in chosen:
                    chosen.append(reaction)
        for reaction in chosen:
            name = getattr(reaction, "__name__", str(reaction))
            try:
                await reaction(incident, events, self.dependencies)
            except DevopsbotError as error:  # expected failures (Teams unreachable, no team yet): retried
                log.warning("%s for %s did not complete, retrying later: %s", name, incident.id, error)
                await self._retry_later(name, incident, events)
            except Exception:  # logged in full; the outbox (email fallback) takes over later
                log.exception("%s failed for %s", name, incident.id)
