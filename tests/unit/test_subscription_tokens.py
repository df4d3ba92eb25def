"""Subscription links are signed like action links but under their own domain and purpose: neither kind of
token is accepted as the other, a confirmation link never unsubscribes, and a changed or expired one is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incident.people import Person
from services.action_link_tokens import ActionLinkSigner, LinkAction, LinkProblem, LinkRejected
from services.subscription_ports import normalise_address
from services.subscription_tokens import CONFIRM_TTL, Purpose, SubscriptionSigner

KEY = bytes(range(32, 64))
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_a_confirmation_link_carries_its_address_components_and_language() -> None:
    signer = SubscriptionSigner(KEY)
    token = signer.issue(Purpose.CONFIRM, "ana@example.com", NOW, components=("checkout",), language="fr", nonce="n1")
    claims = signer.verify(token, Purpose.CONFIRM, NOW + CONFIRM_TTL - timedelta(seconds=1))
    assert (claims.address, claims.components, claims.language, claims.nonce) == (
        "ana@example.com", ("checkout",), "fr", "n1")
    with pytest.raises(LinkRejected) as expired:
        signer.verify(token, Purpose.CONFIRM, NOW + CONFIRM_TTL)
    assert expired.value.problem is LinkProblem.EXPIRED


def test_an_action_link_token_is_never_a_subscription_token_nor_the_reverse() -> None:
    action = ActionLinkSigner(KEY).issue("INC-2026-0001", Person("29:alice", "Alice"), LinkAction.RESOLVE, NOW)
    subscriptions = SubscriptionSigner(KEY)
    for purpose in Purpose:
        with pytest.raises(LinkRejected) as refused:
            subscriptions.verify(action, purpose, NOW)
        assert refused.value.problem is LinkProblem.TAMPERED
    unsubscribe = subscriptions.issue(Purpose.UNSUBSCRIBE, "ana@example.com", NOW)
    with pytest.raises(LinkRejected) as refused:
        ActionLinkSigner(KEY).verify(unsubscribe, NOW)
    assert refused.value.problem is LinkProblem.TAMPERED


def test_a_link_is_accepted_only_for_its_own_purpose() -> None:
    signer = SubscriptionSigner(KEY)
    with pytest.raises(LinkRejected, match="not a unsubscribe link"):
        signer.verify(signer.issue(Purpose.CONFIRM, "ana@example.com", NOW), Purpose.UNSUBSCRIBE, NOW)
    with pytest.raises(LinkRejected, match="not a confirm link"):
        signer.verify(signer.issue(Purpose.UNSUBSCRIBE, "ana@example.com", NOW), Purpose.CONFIRM, NOW)


def test_a_changed_token_is_refused_and_the_previous_key_still_works_during_a_rotation() -> None:
    old = SubscriptionSigner(bytes(range(64, 96))).issue(Purpose.UNSUBSCRIBE, "ana@example.com", NOW)
    assert SubscriptionSigner(KEY, previous_key=bytes(range(64, 96))).verify(
        old, Purpose.UNSUBSCRIBE, NOW).address == "ana@example.com"
    body, signature = old.split(".")
    forged = f"{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{signature}"
    for token, problem in ((forged, LinkProblem.TAMPERED), ("x" * 5000, LinkProblem.MALFORMED),
                           ("", LinkProblem.MALFORMED)):
        with pytest.raises(LinkRejected) as refused:
            SubscriptionSigner(KEY, previous_key=bytes(range(64, 96))).verify(token, Purpose.UNSUBSCRIBE, NOW)
        assert refused.value.problem is problem


@pytest.mark.parametrize(("given", "kept"), [
    ("  Ana.Martin@Example.COM ", "ana.martin@example.com"), ("o'brien/x#y@example.org", "o'brien/x#y@example.org"),
    ("no-at-sign", None), ("two@@example.com", None), ("a@b@example.com", None), ("ana@localhost", None),
    ("ana@example..com", None), ("<ana@example.com>", None), ("ana martin@example.com", None),
    ("ana@example.com\r\nBcc: x@y.z", None), ("é@example.com", None), ("a" * 65 + "@example.com", None),
    ("a@" + "b" * 250 + ".com", None), ("x" * 100_000, None), ("", None)])
def test_addresses_are_kept_trimmed_lower_case_and_plausible(given: str, kept: str | None) -> None:
    assert normalise_address(given) == kept


def test_a_confirmation_for_as_many_components_as_the_form_allows_is_accepted() -> None:
    # The form takes up to 208 components with keys of up to 40 characters: far past an action link's 2 KB.
    signer = SubscriptionSigner(KEY)
    components = tuple(f"service-{n:03}-" + "x" * 28 for n in range(208))
    token = signer.issue(Purpose.CONFIRM, "ana@example.com", NOW, components=components, language="en", nonce="n1")
    assert len(token) > 2048
    assert signer.verify(token, Purpose.CONFIRM, NOW).components == components
