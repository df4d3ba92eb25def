"""Signed action links: bound to incident, person and action; expiring; any change to them is detected."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from incident.model import Person
from services.action_link_tokens import ActionLinkSigner, LinkAction, LinkProblem, LinkRejected

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
KEY = bytes(range(32))
ALICE = Person("29:alice", "Alice Martin", "alice@contoso.example")


def signer(key: bytes = KEY) -> ActionLinkSigner:
    return ActionLinkSigner(key, ttl=timedelta(hours=24))


def problem_of(token: str, at: datetime = T0, key: bytes = KEY) -> LinkProblem:
    with pytest.raises(LinkRejected) as refused:
        signer(key).verify(token, at)
    return refused.value.problem


def test_a_link_carries_its_incident_person_and_action() -> None:
    claims = signer().verify(signer().issue("INC-2026-0001", ALICE, LinkAction.RESOLVE, T0), T0 + timedelta(hours=1))
    assert (claims.incident_id, claims.person, claims.action) == ("INC-2026-0001", ALICE, LinkAction.RESOLVE)
    assert claims.expires_at == T0 + timedelta(hours=24)


def test_two_links_for_the_same_action_differ_so_each_is_single_use_on_its_own() -> None:
    first, second = (signer().issue("INC-2026-0001", ALICE, LinkAction.ACKNOWLEDGE, T0) for _ in range(2))
    assert first != second
    assert signer().verify(first, T0).nonce != signer().verify(second, T0).nonce


def test_a_link_expires_after_its_lifetime() -> None:
    token = signer().issue("INC-2026-0001", ALICE, LinkAction.ACKNOWLEDGE, T0)
    signer().verify(token, T0 + timedelta(hours=23, minutes=59))
    assert problem_of(token, T0 + timedelta(hours=24)) is LinkProblem.EXPIRED


def test_changing_the_claims_breaks_the_signature() -> None:
    token = signer().issue("INC-2026-0001", ALICE, LinkAction.ACKNOWLEDGE, T0)
    body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    for field, value in (("a", "resolve"), ("i", "INC-2026-0002"), ("p", "29:mallory"), ("x", claims["x"] + 86400)):
        forged = base64.urlsafe_b64encode(json.dumps({**claims, field: value}).encode()).rstrip(b"=").decode()
        assert problem_of(f"{forged}.{signature}") is LinkProblem.TAMPERED


def test_a_link_signed_with_another_key_is_refused() -> None:
    token = ActionLinkSigner(b"x" * 32).issue("INC-2026-0001", ALICE, LinkAction.ACKNOWLEDGE, T0)
    assert problem_of(token) is LinkProblem.TAMPERED


@pytest.mark.parametrize("token", ["", "no-dot", "a.b.c", "é.ü", "x" * 5000, ".", "abc."])
def test_damaged_links_are_refused_without_reading_them(token: str) -> None:
    assert problem_of(token) in (LinkProblem.MALFORMED, LinkProblem.TAMPERED)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        ActionLinkSigner(b"short")


NEW_KEY = bytes(range(100, 132))


def rotating() -> ActionLinkSigner:
    """The signer during a rotation: NEW_KEY current, KEY (the one rotated out) still accepted."""
    return ActionLinkSigner(NEW_KEY, ttl=timedelta(hours=24), previous_key=KEY)


def test_during_a_rotation_a_link_signed_with_the_previous_key_still_works() -> None:
    sent_before = signer(KEY).issue("INC-2026-0001", ALICE, LinkAction.ACKNOWLEDGE, T0)
    claims = rotating().verify(sent_before, T0 + timedelta(hours=23))
    assert (claims.incident_id, claims.action) == ("INC-2026-0001", LinkAction.ACKNOWLEDGE)


def test_during_a_rotation_new_links_are_signed_with_the_current_key_only() -> None:
    sent_now = rotating().issue("INC-2026-0001", ALICE, LinkAction.RESOLVE, T0)
    assert signer(NEW_KEY).verify(sent_now, T0).action is LinkAction.RESOLVE
    assert problem_of(sent_now, key=KEY) is LinkProblem.TAMPERED


def test_a_link_signed_with_the_previous_key_still_expires() -> None:
    sent_before = signer(KEY).issue("INC-2026-0001", ALICE, LinkAction.ACKNOWLEDGE, T0)
    with pytest.raises(LinkRejected) as refused:
        rotating().verify(sent_before, T0 + timedelta(hours=24))
    assert refused.value.problem is LinkProblem.EXPIRED


def test_once_the_rotation_ends_links_of_the_previous_key_are_refused() -> None:
    sent_before = signer(KEY).issue("INC-2026-0001", ALICE, LinkAction.ACKNOWLEDGE, T0)
    assert problem_of(sent_before, key=NEW_KEY) is LinkProblem.TAMPERED


def test_a_previous_key_shorter_than_32_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        ActionLinkSigner(NEW_KEY, previous_key=b"short")
