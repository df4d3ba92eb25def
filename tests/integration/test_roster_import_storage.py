"""Replacing a service's roster (an import) on the fake and on Azurite: pruning, putting back, racing overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.table_roster import TableRosterRepository
from devopsbot.bootstrap import Container
from incident.errors import ConcurrencyConflict
from incident.people import Person
from incident.roster import Override, RosterEntry
from services.bus import Dependencies

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ANA, BEN, DAVE = Person("29:ana", "Ana Lopez"), Person("29:ben", "Ben Ito"), Person("29:dave", "Dave O")


async def test_replacing_a_service_deletes_the_overrides_already_over(deps: Dependencies) -> None:
    await deps.roster.add_override(Override("checkout", "commander", DAVE, T0 - timedelta(days=9),
                                            T0 - timedelta(days=8)))
    current = Override("checkout", "commander", BEN, T0, T0 + timedelta(days=1))
    past = Override("checkout", "commander", ANA, T0 - timedelta(days=3), T0 - timedelta(days=2))
    await deps.roster.replace_service("checkout", [RosterEntry("checkout", "commander", ANA)], [past, current], now=T0)
    assert (await deps.roster.partition("checkout")).overrides == (current,)


async def test_restoring_a_service_puts_back_exactly_what_was_read(deps: Dependencies) -> None:
    await deps.roster.put(RosterEntry("checkout", "commander", ANA, (BEN,)))
    await deps.roster.add_override(Override("checkout", "commander", DAVE, T0 - timedelta(days=9),
                                            T0 - timedelta(days=8)))
    before = await deps.roster.partition("checkout")
    await deps.roster.replace_service("checkout", [RosterEntry("checkout", "deputy", DAVE)],
                                      [Override("checkout", "deputy", BEN, T0, T0 + timedelta(days=1))], now=T0)
    await deps.roster.restore_service(before)
    assert await deps.roster.partition("checkout") == before


@pytest.mark.azurite
async def test_an_override_racing_an_import_of_its_role_fails_instead_of_overlapping(
        azurite_container: Container) -> None:
    roster = azurite_container.dependencies.roster
    assert isinstance(roster, TableRosterRepository)
    imported = Override("checkout", "commander", BEN, T0, T0 + timedelta(days=2))
    read_rows = roster._rows

    async def rows_then_import(service: str) -> list[dict[str, Any]]:
        rows = await read_rows(service)  # the override has read the partition: now the import lands
        roster._rows = read_rows  # type: ignore[method-assign]
        await roster.replace_service("checkout", [RosterEntry("checkout", "commander", ANA)], [imported], now=T0)
        return rows

    roster._rows = rows_then_import  # type: ignore[method-assign]
    with pytest.raises(ConcurrencyConflict):
        await roster.add_override(Override("checkout", "commander", DAVE, T0 + timedelta(days=1),
                                           T0 + timedelta(days=3)))
    assert (await roster.partition("checkout")).overrides == (imported,)
