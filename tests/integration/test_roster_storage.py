"""The roster's storage contract, on the in-memory fake and on Azurite: rows, rotations, overrides, imports."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from incident.errors import ConcurrencyConflict, InvalidValue
from incident.people import Person
from incident.roster import ORGANISATION, Override, RosterEntry, Rotation
from services.bus import Dependencies
from services.roster_service import holders

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ANA = Person("29:ana", "Ana Lopez", "ana@contoso.example", "aad-ana")
BEN, CHLOE, DAVE = Person("29:ben", "Ben Ito"), Person("29:chloe", "Chloe Nguyen"), Person("29:dave", "Dave O")


async def test_a_row_with_a_rotation_reads_back_field_for_field(deps: Dependencies) -> None:
    rotation = Rotation((ANA, BEN), 0, 9, "Europe/Paris", date(2026, 11, 23))
    entry = RosterEntry("checkout", "commander", None, (CHLOE, DAVE), rotation)
    await deps.roster.put(entry)
    assert await deps.roster.get("checkout", "commander") == entry
    assert (await deps.roster.partition("checkout")).entries == (entry,)


async def test_many_services_read_together_match_each_read_alone(deps: Dependencies) -> None:
    # More services than one query may name (15 comparisons): some with rows, some with overrides, some empty.
    services = [f"svc-{n:02d}" for n in range(17)] + [ORGANISATION]
    for n in (0, 7, 15, 16):
        await deps.roster.put(RosterEntry(services[n], "commander", ANA, (BEN,)))
    await deps.roster.put(RosterEntry(ORGANISATION, "responder", CHLOE, ()))
    await deps.roster.add_override(Override("svc-16", "commander", DAVE, T0, T0 + timedelta(days=1), created_by=ANA))
    together = await deps.roster.partitions(services)
    assert together == [await deps.roster.partition(s) for s in services]
    assert [p.service for p in together] == services
    assert [len(p.entries) for p in together].count(1) == 5
    assert together[16].overrides[0].person == DAVE


async def test_overrides_are_kept_beside_the_rows_of_their_service(deps: Dependencies) -> None:
    await deps.roster.put(RosterEntry("checkout", "commander", ANA, (BEN,)))
    vacation = Override("checkout", "commander", CHLOE, T0, T0 + timedelta(days=3), created_by=ANA, reason="leave")
    await deps.roster.add_override(vacation)
    partition = await deps.roster.partition("checkout")
    assert partition.overrides == (vacation,)
    assert [e.role for e in partition.entries] == ["commander"]  # an override is not a row
    assert [e.role for e in await deps.roster.for_service("checkout")] == ["commander"]
    await deps.roster.remove_override("checkout", "commander", T0)
    assert (await deps.roster.partition("checkout")).overrides == ()


async def test_an_overlapping_override_is_refused_and_not_stored(deps: Dependencies) -> None:
    await deps.roster.add_override(Override("checkout", "commander", CHLOE, T0, T0 + timedelta(days=3)))
    with pytest.raises(InvalidValue, match="overlaps"):
        await deps.roster.add_override(Override("checkout", "commander", DAVE, T0 + timedelta(days=1),
                                                T0 + timedelta(days=4)))
    assert [o.person for o in (await deps.roster.partition("checkout")).overrides] == [CHLOE]


async def test_of_two_racing_overlapping_overrides_one_lands(deps: Dependencies) -> None:
    racing = [Override("checkout", "commander", p, T0 + timedelta(hours=n), T0 + timedelta(days=2))
              for n, p in enumerate((CHLOE, DAVE))]
    outcomes = await asyncio.gather(*(deps.roster.add_override(o) for o in racing), return_exceptions=True)
    assert sum(o is None for o in outcomes) == 1
    assert all(isinstance(o, InvalidValue | ConcurrencyConflict) for o in outcomes if o is not None)
    assert len((await deps.roster.partition("checkout")).overrides) == 1


async def test_who_holds_a_role_now_applies_the_override_then_falls_back_to_the_organisation(
        deps: Dependencies) -> None:
    await deps.roster.put(RosterEntry("checkout", "commander", ANA, (BEN,)))
    await deps.roster.put(RosterEntry("*", "deputy", DAVE, (CHLOE,)))
    await deps.roster.add_override(Override("checkout", "commander", CHLOE, T0, T0 + timedelta(hours=8)))
    commander = await holders(deps.roster, ["checkout"], "commander", T0 + timedelta(hours=1))
    assert commander is not None and commander.chain == (CHLOE, BEN)
    later = await holders(deps.roster, ["checkout"], "commander", T0 + timedelta(hours=8))
    assert later is not None and later.chain == (ANA, BEN)
    deputy = await holders(deps.roster, ["checkout"], "deputy", T0)
    assert deputy is not None and (deputy.service, deputy.chain) == ("*", (DAVE, CHLOE))


async def test_replacing_a_service_leaves_exactly_the_new_rows_and_other_services_alone(deps: Dependencies) -> None:
    await deps.roster.put(RosterEntry("checkout", "commander", ANA, (BEN,)))
    await deps.roster.put(RosterEntry("checkout", "deputy", BEN))
    await deps.roster.add_override(Override("checkout", "commander", CHLOE, T0, T0 + timedelta(days=1)))
    await deps.roster.put(RosterEntry("payments", "commander", DAVE))
    new = RosterEntry("checkout", "commander", DAVE, (ANA,))
    later = Override("checkout", "commander", BEN, T0 + timedelta(days=5), T0 + timedelta(days=6))
    await deps.roster.replace_service("checkout", [new], [later], now=T0)
    partition = await deps.roster.partition("checkout")
    assert (partition.entries, partition.overrides) == ((new,), (later,))
    assert await deps.roster.get("payments", "commander") == RosterEntry("payments", "commander", DAVE)
