"""The message bus: routes each command to its one handler through a table, with shared dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from incident.policy import OrganisationPolicy
from services.ports import (
    Clock,
    ConversationReferenceRepository,
    DueWorkRepository,
    IdempotencyStore,
    IncidentRepository,
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


Handler = Callable[[Any, Dependencies], Awaitable[Any]]


class MessageBus:
    def __init__(self, dependencies: Dependencies, handlers: Mapping[type, Handler]) -> None:
        self.dependencies = dependencies
        self._handlers = dict(handlers)

    async def handle(self, command: object) -> Any:
        try:
            handler = self._handlers[type(command)]
        except KeyError:
            raise TypeError(f"no handler for {type(command).__name__}") from None
        return await handler(command, self.dependencies)
