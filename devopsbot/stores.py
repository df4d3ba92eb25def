"""The repositories and stores the dependencies hold: in memory (tests, the CLI's dry runs) or on Table Storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.table_storage import TableStore


def memory_stores(teams_down_after: int) -> dict[str, Any]:
    from adapters import memory
    from adapters.memory_playbooks import MemoryPlaybookRepository
    from adapters.memory_roster import MemoryRosterRepository
    from adapters.memory_signals import MemorySignalRepository

    return {"incidents": memory.MemoryIncidentRepository(), "due_work": memory.MemoryDueWorkRepository(),
            "conversations": memory.MemoryConversationReferenceRepository(),
            "roster": MemoryRosterRepository(), "playbooks": MemoryPlaybookRepository(),
            "idempotency": memory.MemoryIdempotencyStore(), "signals": MemorySignalRepository(),
            "health": memory.MemoryTeamsHealth(teams_down_after),
            "audit": memory.MemoryAuditLog(), "state": memory.MemoryStateStore()}


def table_stores(store: TableStore, teams_down_after: int) -> dict[str, Any]:
    from adapters import table_operations as ops
    from adapters.table_conversations import TableConversationReferenceRepository
    from adapters.table_due_work import TableDueWorkRepository
    from adapters.table_idempotency import TableIdempotencyStore
    from adapters.table_incidents import TableIncidentRepository
    from adapters.table_playbooks import TablePlaybookRepository
    from adapters.table_roster import TableRosterRepository
    from adapters.table_signals import TableSignalRepository

    return {"incidents": TableIncidentRepository(store), "due_work": TableDueWorkRepository(store),
            "conversations": TableConversationReferenceRepository(store),
            "roster": TableRosterRepository(store), "playbooks": TablePlaybookRepository(store),
            "idempotency": TableIdempotencyStore(store), "signals": TableSignalRepository(store),
            "health": ops.TableTeamsHealth(store, teams_down_after),
            "audit": ops.TableAuditLog(store), "state": ops.TableStateStore(store)}
