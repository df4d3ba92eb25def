"""Storage contract fixtures: the same tests run on the in-memory fakes and on Azurite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.clock import FixedClock
from adapters.graph import GraphClient, MsalTokens
from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from services.bus import Dependencies
from tests.conftest import unique_prefix
from tests.support.graph import GraphDouble, IdentityDouble, Sleeps, running_graph, secret_identity


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


# Microsoft Graph: the local double, msal's real token flow through the identity double, no real sleeping.
@pytest.fixture
def identity() -> Iterator[IdentityDouble]:
    double = IdentityDouble()
    yield double
    assert double.unexpected == [], "msal asked for a URL the double does not serve"


@pytest.fixture
async def graph() -> AsyncIterator[GraphDouble]:
    async with running_graph() as double:
        yield double


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(identity: IdentityDouble, graph: GraphDouble, sleeps: Sleeps) -> AsyncIterator[GraphClient]:
    built = GraphClient(MsalTokens(secret_identity(identity), http_client=identity), base_url=graph.url,
                        sleep=sleeps)
    yield built
    await built.close()
