"""The composition root picks adapters from settings, lazily; the dev stack names busy ports."""

from __future__ import annotations

import socket

import pytest

from devopsbot.bootstrap import Container
from devopsbot.dev_stack import Ports, StackError, ensure_ports_free
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.support.processes import free_port


async def test_azure_storage_uses_the_managed_identity_on_the_account_url(policy: OrganisationPolicy) -> None:
    from azure.identity.aio import ManagedIdentityCredential

    container = Container(Settings(storage_account_url="https://contoso.table.core.windows.net",
                                   storage_client_id="11111111-2222-3333-4444-555555555555"), policy=policy)
    service = container.store.service
    assert service.url.startswith("https://contoso.table.core.windows.net")
    assert isinstance(service.credential, ManagedIdentityCredential)
    await container.aclose()


async def test_nothing_is_built_before_it_is_used(policy: OrganisationPolicy) -> None:
    container = Container(Settings(storage_connection_string="UseDevelopmentStorage=true"), policy=policy)
    assert not {"store", "dependencies", "bus", "bot"} & set(vars(container))
    _ = container.bus
    assert {"store", "dependencies", "bus"} <= set(vars(container)) and "bot" not in vars(container)
    await container.aclose()


def test_a_busy_port_is_reported_with_the_service_that_wanted_it() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(StackError, match=f"port {port} \\(Agents Playground\\) is already in use"):
            ensure_ports_free(Ports(azurite=free_port(), functions=free_port(), playground=port,
                                    smtp=free_port(), maildev_web=free_port()))
