"""Storage contract fixtures: the same tests run on the in-memory fakes and on Azurite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from services.bus import Dependencies
from tests.conftest import unique_prefix


@pytest.fixture(params=["memory", pytest.param("azurite", marks=pytest.mark.azurite)])
async def container(request: pytest.FixtureRequest, policy: OrganisationPolicy,
                    clock: FixedClock) -> AsyncIterator[Container]:
    if request.param == "memory":
        built = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                          policy=policy, notifier=RecordingNotifier())
    else:
        connection_string = request.getfixturevalue("azurite")
        built = Container(Settings(storage_connection_string=connection_string, table_prefix=unique_prefix()),
                          clock=clock, policy=policy, notifier=RecordingNotifier())
    yield built
    await built.aclose()


@pytest.fixture
def deps(container: Container) -> Dependencies:
    return container.dependencies
