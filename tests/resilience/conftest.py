"""Fixtures shared with the protocol tests: the Bot Connector double, the in-memory app installed, and the
app whose incident spaces open through the Graph double (for ``space_mode``, parametrised indirectly)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.clock import FixedClock
from adapters.smtp_mailer import SmtpMailer
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.functions.conftest import connector, installed
from tests.functions.test_graph_spaces import graph, identity, space_mode
from tests.support.connector import ConnectorDouble
from tests.support.smtp import Inbox, smtp_server

__all__ = ["connector", "graph", "identity", "installed", "space_mode"]


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def mailing(policy: OrganisationPolicy, clock: FixedClock, inbox: Inbox,
                  connector: ConnectorDouble) -> AsyncIterator[Container]:
    """The app on the in-memory stores, Teams on the connector double, email to a local SMTP server."""
    mailer = SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example")
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          mailer=mailer)
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)
    await container.aclose()
