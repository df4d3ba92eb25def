"""The composition root picks adapters from settings, lazily; the dev stack names busy ports."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from devopsbot.bootstrap import Container
from devopsbot.local.stack import Ports, StackError, ensure_ports_free
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


def test_stopping_the_stack_also_stops_children_of_a_dead_leader(tmp_path: Path) -> None:
    import os
    import signal
    import time

    from devopsbot.local.stack import Children

    pid_file = tmp_path / "grandchild.pid"
    children = Children()
    leader = children.start("service", ["sh", "-c", f"sleep 300 & echo $! > {pid_file}; wait"],
                            log=tmp_path / "service.log")
    deadline = time.monotonic() + 10
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    os.kill(leader.pid, signal.SIGKILL)  # the service itself dies; its child lives on
    leader.wait()
    children.stop_all()
    for _ in range(100):  # the signal is sent; give the process a moment to go
        if not running(grandchild):
            break
        time.sleep(0.05)
    assert not running(grandchild)


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize(("proxy", "reads_environment"), [("", False), ("http://proxy.contoso.example:3128", True)])
async def test_table_storage_reads_proxy_settings_only_when_a_proxy_is_configured(
        monkeypatch: pytest.MonkeyPatch, proxy: str, reads_environment: bool) -> None:
    from devopsbot.bootstrap import PROXY_VARIABLES, Container
    from devopsbot.settings import Settings

    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
    container = Container(Settings(storage_connection_string=(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;")))
    service = container._table_service()
    transport = service._client._client._pipeline._transport
    assert getattr(transport, "_transport", transport)._use_env_settings is reads_environment
    await service.close()


def test_each_make_run_starts_with_a_fresh_store_and_keeps_the_last_one_beside_it(tmp_path: Path) -> None:
    """The Playground forgets its conversations when it stops: incidents of the last run would only have timers
    posting into conversations that are gone (and failing), so a run starts empty and keeps one run back."""
    from devopsbot.local.stack import fresh_store

    store = tmp_path / "azurite"
    assert fresh_store(store) is None and store.is_dir()  # the first run: nothing to keep
    (store / "__azurite_db_table__.json").write_text("run 1")
    kept = fresh_store(store)
    assert kept == tmp_path / "azurite.previous" and (kept / "__azurite_db_table__.json").read_text() == "run 1"
    assert list(store.iterdir()) == []
    (store / "__azurite_db_table__.json").write_text("run 2")
    fresh_store(store)
    assert (kept / "__azurite_db_table__.json").read_text() == "run 2"  # one run back, not every run
