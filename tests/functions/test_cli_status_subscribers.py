"""``status subscribers`` and ``status unsubscribe``: an admin's view of the status page's email subscribers,
through the CLI's main function on the in-memory stack."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.cli.main import main
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from services.subscription_ports import Subscription


@pytest.fixture
async def stack(policy: OrganisationPolicy, clock: FixedClock) -> AsyncIterator[Container]:
    container = Container(Settings(storage_connection_string="memory", action_link_key=bytes(range(32, 64))),
                          clock=clock, in_memory=True, policy=policy)
    store = container.status_page.subscriptions
    assert store is not None
    await store.put(Subscription("checkout", "ana@example.com", confirmed=True))
    await store.put(Subscription("payments", "ana@example.com", language="fr", confirmed=True))
    await store.put(Subscription("checkout", "bob@example.com", nonce="pending"))
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


def test_subscribers_are_listed_and_counted_by_component(stack: Container, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "subscribers", "--component", "checkout", "--count"]) == 0
    assert capsys.readouterr().out == "1 confirmed, 1 pending\n"
    assert main(["status", "subscribers", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["component"], r["email"], r["confirmed"], r["language"]) for r in rows] == [
        ("checkout", "ana@example.com", True, "en"), ("checkout", "bob@example.com", False, "en"),
        ("payments", "ana@example.com", True, "fr")]
    assert main(["status", "subscribers", "--component", "nope"]) == 2
    assert "'nope' is not one of the organisation's services" in capsys.readouterr().err


def test_an_admin_unsubscribes_an_address_from_every_component(
        stack: Container, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "unsubscribe", " Ana@Example.com "]) == 0
    assert capsys.readouterr().out == "Removed 2 subscriptions of ana@example.com.\n"
    assert main(["status", "subscribers"]) == 0
    out = capsys.readouterr().out
    assert "ana@example.com" not in out and "bob@example.com" in out


def test_without_a_key_subscriptions_are_off(memory_container: Container, capsys: pytest.CaptureFixture[str]) -> None:
    bootstrap.reset_container(memory_container)
    try:
        assert main(["status", "subscribers"]) == 2
    finally:
        bootstrap.reset_container(None)
    assert "subscriptions are off" in capsys.readouterr().err
