"""A roster import is all or nothing across services, though Table Storage has no transaction across them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory_roster import MemoryRosterRepository
from incident.errors import StorageUnavailable
from incident.people import Person
from incident.policy import OrganisationPolicy
from incident.roster import Override, RosterEntry
from services.roster_csv import COLUMNS, RosterFileError, RosterImportFailed, import_csv

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ANA, BEN, DAVE = Person("29:ana", "Ana Lopez"), Person("29:ben", "Ben Ito"), Person("29:dave", "Dave O")
HEADER = ",".join(COLUMNS) + "\n"
BOTH = HEADER + ("checkout,commander,primary,29:new,New Person,,,,,,,\n"
                 "payments,commander,primary,29:new,New Person,,,,,,,\n")


class FailingOn(MemoryRosterRepository):
    """Storage that fails while replacing one service, as Table Storage can mid-import."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.failing = service

    async def replace_service(self, service: str, entries: Sequence[RosterEntry],
                              overrides: Sequence[Override], *, now: datetime) -> None:
        if service == self.failing:
            raise StorageUnavailable("Table Storage cannot be reached while changing the roster")
        await super().replace_service(service, entries, overrides, now=now)


async def _stored(roster: MemoryRosterRepository) -> None:
    await roster.put(RosterEntry("checkout", "commander", ANA, (BEN,)))
    await roster.put(RosterEntry("checkout", "deputy", BEN))
    await roster.add_override(Override("checkout", "commander", DAVE, NOW, NOW + timedelta(days=2), reason="swap"))
    await roster.put(RosterEntry("payments", "commander", DAVE))


async def test_a_failure_on_a_later_service_puts_every_service_back_as_it_was(policy: OrganisationPolicy) -> None:
    roster = FailingOn("payments")
    await _stored(roster)
    before = [await roster.partition(s) for s in ("checkout", "payments")]
    with pytest.raises(RosterImportFailed) as failed:
        await import_csv(roster, policy, BOTH.encode(), NOW)
    assert [await roster.partition(s) for s in ("checkout", "payments")] == before
    assert "storing the roster of payments failed" in str(failed.value)
    assert "checkout put back as before" in str(failed.value)


async def test_a_service_needing_too_many_changes_refuses_the_file_before_any_service_is_written(
        policy: OrganisationPolicy) -> None:
    roster = MemoryRosterRepository()
    await _stored(roster)
    before = [await roster.partition(s) for s in ("checkout", "payments")]
    overrides = "".join(f"payments,commander,override,29:ben,Ben,,,,,{NOW + timedelta(days=d):%Y-%m-%dT%H:%M:%SZ},"
                        f"{NOW + timedelta(days=d, hours=1):%Y-%m-%dT%H:%M:%SZ},cover\n" for d in range(1, 101))
    with pytest.raises(RosterFileError, match="payments would need 102 changes at once; the limit is 100"):
        await import_csv(roster, policy, (BOTH + overrides).encode(), NOW)
    assert [await roster.partition(s) for s in ("checkout", "payments")] == before


async def test_overrides_already_over_are_dropped_by_an_import(policy: OrganisationPolicy) -> None:
    roster = MemoryRosterRepository()
    await roster.add_override(Override("checkout", "commander", DAVE, NOW - timedelta(days=9),
                                       NOW - timedelta(days=8)))
    rows = (BOTH + f"checkout,deputy,primary,29:ben,Ben,,,,,,,\n"
            f"checkout,commander,override,29:ben,Ben,,,,,{NOW - timedelta(days=3):%Y-%m-%dT%H:%M:%SZ},"
            f"{NOW - timedelta(days=2):%Y-%m-%dT%H:%M:%SZ},past\n"
            f"checkout,commander,override,29:ana,Ana,,,,,{NOW:%Y-%m-%dT%H:%M:%SZ},"
            f"{NOW + timedelta(days=1):%Y-%m-%dT%H:%M:%SZ},current\n")
    await import_csv(roster, policy, rows.encode(), NOW)
    assert [o.reason for o in (await roster.partition("checkout")).overrides] == ["current"]
