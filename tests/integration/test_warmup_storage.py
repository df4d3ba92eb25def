"""The warm-up on Table Storage (Azurite): a new process opens the tables that exist with one listing, so its
first request creates none of them again (each creation a round trip answered 409)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from devopsbot.warmup import reset_warm_up, warm_up_instance
from incident.policy import OrganisationPolicy
from tests.conftest import unique_prefix

pytestmark = pytest.mark.azurite


@pytest.fixture
def fresh() -> Iterator[None]:
    reset_warm_up(None)
    yield
    reset_warm_up(None)
    bootstrap.reset_container(None)


def on_azurite(azurite: str, prefix: str, policy: OrganisationPolicy, clock: FixedClock) -> Container:
    return Container(Settings(storage_connection_string=azurite, table_prefix=prefix), clock=clock, policy=policy)


async def test_a_new_process_opens_the_existing_tables_of_its_prefix_and_no_others(
        azurite: str, policy: OrganisationPolicy, clock: FixedClock) -> None:
    prefix = unique_prefix()
    earlier = on_azurite(azurite, prefix, policy, clock)
    for name in ("incidents", "duework"):
        await earlier.store.table(name)
    await earlier.aclose()
    neighbour = on_azurite(azurite, unique_prefix(), policy, clock)
    await neighbour.store.table("audit")
    await neighbour.aclose()

    later = on_azurite(azurite, prefix, policy, clock)
    try:
        assert sorted(await later.store.open_existing()) == ["duework", "incidents"]
        opened = await later.store.table("incidents")
        assert await later.store.table("incidents") is opened
        assert await later.store.open_existing() == []
    finally:
        await later.aclose()


async def test_the_warmup_trigger_opens_the_tables_before_the_first_request(
        azurite: str, policy: OrganisationPolicy, clock: FixedClock, fresh: None) -> None:
    prefix = unique_prefix()
    earlier = on_azurite(azurite, prefix, policy, clock)
    await earlier.store.table("incidents")
    await earlier.store.table("conversations")
    await earlier.aclose()

    later = on_azurite(azurite, prefix, policy, clock)
    bootstrap.reset_container(later)
    try:
        await warm_up_instance()
        assert "bot" in vars(later)
        assert await later.store.open_existing() == [], "every existing table was opened by the warm-up"
    finally:
        await later.aclose()
