"""New Year's Eve: ids are per year, so the last incident of a year and the first of the next both work,
and a report across the new year counts both; on the fakes and on Azurite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container
from incident import commands
from services.handlers import open_incidents
from services.reporting import build_report
from tests.conftest import ALICE


def declaration(title: str) -> commands.DeclareIncident:
    return commands.DeclareIncident(title=title, incident_type="outage", severity="SEV2", actor=ALICE,
                                    roles={"commander": ALICE}, services=("checkout",))


async def test_incidents_either_side_of_midnight_get_their_years_ids_and_one_report(container: Container,
                                                                                 clock: FixedClock) -> None:
    clock.at = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    late = await container.bus.handle(declaration("Checkout failing"))
    clock.advance(timedelta(minutes=2))
    early = await container.bus.handle(declaration("Search slow"))
    assert (late.id, early.id) == ("INC-2026-0001", "INC-2027-0001")
    assert {i.id for i in await open_incidents(container.dependencies)} == {late.id, early.id}
    assert (await container.dependencies.incidents.get(early.id)).title == "Search slow"
    report = await build_report(container.dependencies, datetime(2026, 12, 31, tzinfo=UTC),
                                datetime(2027, 1, 2, tzinfo=UTC))
    assert report.total == 2


async def test_numbers_restart_each_year_and_keep_counting_within_it(container: Container,
                                                                    clock: FixedClock) -> None:
    clock.at = datetime(2027, 12, 31, 23, 58, tzinfo=UTC)
    ids = [(await container.bus.handle(declaration("before"))).id]
    clock.advance(timedelta(minutes=1))
    ids.append((await container.bus.handle(declaration("still before"))).id)
    clock.advance(timedelta(minutes=2))
    ids.append((await container.bus.handle(declaration("after"))).id)
    ids.append((await container.bus.handle(declaration("after again"))).id)
    assert ids == ["INC-2027-0001", "INC-2027-0002", "INC-2028-0001", "INC-2028-0002"]
