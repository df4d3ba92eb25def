"""Shared fixtures: the organisation policy, a clock, the in-memory bus, and Azurite."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.clock import FixedClock
from devopsbot.bootstrap import Container
from devopsbot.local.stack import azurite_connection_string
from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT, Settings
from incident.model import Person
from incident.policy import OrganisationPolicy
from tests.support.processes import start_azurite, start_azurite_blob

ALICE = Person(id="29:alice", name="Alice Martin", email="alice@contoso.example",
               aad_id="00000000-0000-0000-0000-0000000a11ce")
BOB = Person(id="29:bob", name="Bob Durand", email="bob@contoso.example")
OUTAGE_CRITERIA = ("service_restored", "monitoring_green", "customers_told")


@pytest.fixture(scope="session")
def policy() -> OrganisationPolicy:
    return load_organisation(ROOT / "config" / "organisation.toml")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))


@pytest.fixture
def memory_container(policy: OrganisationPolicy, clock: FixedClock) -> Container:
    return Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                     policy=policy)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A connection string to Azurite: the one given in TEST_AZURITE_CONNECTION_STRING,
    or an in-memory Azurite these tests start and stop themselves."""
    given = os.environ.get("TEST_AZURITE_CONNECTION_STRING")
    if given:
        yield given
        return
    service, port = start_azurite(tmp_path_factory.mktemp("azurite"))
    try:
        yield azurite_connection_string(port)
    finally:
        service.stop()


@pytest.fixture(scope="session")
def azurite_blob(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of an in-memory Azurite blob service these tests start and stop themselves."""
    service, port = start_azurite_blob(tmp_path_factory.mktemp("azurite-blob"))
    try:
        yield port
    finally:
        service.stop()


@pytest.fixture
async def azurite_status_container(azurite: str, azurite_blob: int, policy: OrganisationPolicy,
                                   clock: FixedClock) -> AsyncIterator[Container]:
    """A container on Azurite's tables and blobs, publishing its status page to a container of its own."""
    prefix = unique_prefix()
    connection_string = azurite + f"BlobEndpoint=http://127.0.0.1:{azurite_blob}/devstoreaccount1;"
    container = Container(Settings(storage_connection_string=connection_string, table_prefix=prefix),
                          clock=clock, policy=policy, status_container=f"{prefix}web")
    yield container
    await container.aclose()


def unique_prefix() -> str:
    """Each test gets tables of its own in the shared Azurite."""
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
async def azurite_container(azurite: str, policy: OrganisationPolicy,
                            clock: FixedClock) -> AsyncIterator[Container]:
    container = Container(Settings(storage_connection_string=azurite, table_prefix=unique_prefix()),
                          clock=clock, policy=policy)
    yield container
    await container.aclose()


def repo_root() -> Path:
    return ROOT
