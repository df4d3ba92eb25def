"""Subscriptions on Azurite's Table Storage: one partition per component, addresses with characters storage keys
refuse and a quote that would break a filter built by hand, and every query parameterised."""

from __future__ import annotations

import pytest

from adapters.table_subscriptions import TableSubscriptions
from devopsbot.bootstrap import Container
from services.subscription_ports import Subscription
from services.subscriptions import remove_address

pytestmark = pytest.mark.azurite

ODD = "o'brien/x#y?z@example.org"  # '/', '#', '?' are refused in row keys; the quote would end a hand-made filter


async def test_subscriptions_are_kept_by_component_and_found_by_address(azurite_container: Container) -> None:
    store = TableSubscriptions(azurite_container.store)
    at = azurite_container.clock.now()
    await store.put(Subscription("checkout", ODD, language="fr", nonce="n1", pending_language="fr", requested_at=at))
    await store.put(Subscription("payments", ODD, confirmed=True, confirmed_at=at))
    await store.put(Subscription("checkout", "ana@example.com", confirmed=True))
    await store.put(Subscription("checkout", "x' or Address ne '@example.com", confirmed=True))
    kept = await store.get("checkout", ODD)
    assert kept == Subscription("checkout", ODD, language="fr", nonce="n1", pending_language="fr", requested_at=at)
    assert await store.get("search", ODD) is None
    assert sorted(s.address for s in await store.of_component("checkout")) == [
        "ana@example.com", ODD, "x' or Address ne '@example.com"]
    assert sorted(s.component for s in await store.of_address(ODD)) == ["checkout", "payments"]
    assert [s.address for s in await store.of_address("x' or Address ne '@example.com")] == [
        "x' or Address ne '@example.com"]
    assert await remove_address(store, f"  {ODD.upper()} ") == 2
    assert await store.of_address(ODD) == [] and len(await store.every()) == 2
    await store.remove("checkout", ODD)  # already gone: nothing to do


async def test_the_container_keeps_subscriptions_in_the_table_when_a_key_signs_links(
        azurite: str, azurite_container: Container) -> None:
    publishing = azurite_container.status_page
    assert publishing.subscriptions is None  # no key to sign links: subscriptions are off
