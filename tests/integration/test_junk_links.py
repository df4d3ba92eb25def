"""Junk action links are counted, not stored one row each: anonymous callers cannot grow storage at will.
Through GET /api/act, on the in-memory store and on Azurite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import azure.functions as func
import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from services.ports import AUDIT_SAMPLES
from tests.conftest import unique_prefix
from tests.functions.conftest import built_function

KEY = bytes(range(32, 64))


@pytest.fixture(params=["memory", pytest.param("azurite", marks=pytest.mark.azurite)])
async def container(request: pytest.FixtureRequest, policy: OrganisationPolicy,
                    clock: FixedClock) -> AsyncIterator[Container]:
    if request.param == "memory":
        built = Container(Settings(storage_connection_string="memory", action_link_key=KEY), clock=clock,
                          in_memory=True, policy=policy)
    else:
        settings = Settings(storage_connection_string=request.getfixturevalue("azurite"), table_prefix=unique_prefix(),
                            action_link_key=KEY)
        built = Container(settings, clock=clock, policy=policy)
    bootstrap.reset_container(built)
    yield built
    bootstrap.reset_container(None)
    await built.aclose()


def junk_get(token: str) -> func.HttpRequest:
    return func.HttpRequest(method="GET", url=f"https://devopsbot.contoso.example/api/act?t={token}", body=b"",
                            params={"t": token})


async def test_five_hundred_junk_links_leave_one_counted_row(container: Container, clock: FixedClock) -> None:
    act = built_function("act")
    for n in range(500):
        clock.at += timedelta(milliseconds=50)  # 25 s in all: within one minute
        token = "junk" if n % 2 else f"{'A' * 40}.{n}"  # malformed, and well-formed but not signed by us
        assert (await act(junk_get(token))).status_code == 400
    assert container.dependencies.audit is not None
    [row] = await container.dependencies.audit.on_day(clock.at)
    assert row.kind == "action_link_refused" and row.count == 500
    assert [s["problem"] for s in row.samples] == ["tampered", "malformed", "tampered", "malformed", "tampered"]
    assert len(row.samples) == AUDIT_SAMPLES


async def test_junk_over_several_minutes_makes_one_row_a_minute(container: Container, clock: FixedClock) -> None:
    act = built_function("act")
    for _ in range(30):
        clock.at += timedelta(seconds=10)  # 5 minutes
        await act(junk_get("junk"))
    assert container.dependencies.audit is not None
    rows = await container.dependencies.audit.on_day(clock.at)
    assert sum(r.count for r in rows) == 30 and len(rows) <= 6
