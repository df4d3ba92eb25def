"""``incident invite`` and ``incident priority`` through the CLI's main function on the in-memory stack, with
the same rules as Teams: invitees become the incident's people, the managers set the priority."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.cli.main import main
from incident import commands
from incident.model import Person

ALICE = Person("29:alice", "Alice Martin")
AS_ALICE = "Alice Martin <29:alice>"
AS_BOB = "Bob Durand <29:bob>"


@pytest.fixture
async def ids(memory_container: Container) -> AsyncIterator[dict[str, str]]:
    """A public and a private incident, Alice commanding both."""
    found = {}
    for name in ("public", "private"):
        incident = await memory_container.bus.handle(commands.DeclareIncident(
            title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE,
            roles={"commander": ALICE}, private=name == "private"))
        found[name] = incident.id
    await memory_container.bus.drain()
    bootstrap.reset_container(memory_container)
    yield found
    bootstrap.reset_container(None)


def shown(capsys: pytest.CaptureFixture[str], incident_id: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["incident", "show", incident_id, "--json"]) == 0
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    return found


def test_invite_by_hand_adds_the_people_with_their_email(ids: dict[str, str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    incident_id = ids["public"]
    assert main(["incident", "--as", AS_BOB, "invite", incident_id, "Carol Petit <29:carol>"]) != 0
    assert "only the people in the incident, the commander" in capsys.readouterr().err  # Bob is not in it
    assert main(["incident", "--as", AS_ALICE, "invite", incident_id,
                 "Carol Petit <29:carol> carol@contoso.example"]) == 0, capsys.readouterr().err
    # Carol is one of its people now, so on a public incident she may bring someone in too.
    assert main(["incident", "--as", "Carol Petit <29:carol>", "invite", incident_id, "dan@contoso.example"]) == 0
    after = shown(capsys, incident_id)
    assert after["invitees"] == [
        {"id": "29:carol", "name": "Carol Petit", "email": "carol@contoso.example"},
        {"id": "dan@contoso.example", "name": "dan@contoso.example", "email": "dan@contoso.example"}]
    assert [(e["kind"], e["actor"], e["summary"]) for e in after["timeline"][-2:]] == [
        ("invited", "Alice Martin", "invited Carol Petit"), ("invited", "Carol Petit", "invited dan@contoso.example")]
    assert main(["incident", "invite", incident_id, "Carol <29:carol> not-an-address"]) != 0
    assert "is not an email address" in capsys.readouterr().err


def test_an_outsider_may_not_invite_to_a_private_incident(ids: dict[str, str],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    incident_id = ids["private"]
    assert main(["incident", "--as", AS_BOB, "invite", incident_id, "Bob Durand <29:bob>"]) != 0
    assert "only the commander, the deputy or an incident admin may invite people to" in capsys.readouterr().err
    assert shown(capsys, incident_id)["invitees"] == []
    assert main(["incident", "--as", AS_ALICE, "invite", incident_id, "Bob Durand <29:bob>"]) == 0
    assert [p["id"] for p in shown(capsys, incident_id)["invitees"]] == ["29:bob"]
    assert main(["incident", "--as", AS_BOB, "show", incident_id]) == 0  # Bob is one of its people now


def test_priority_by_hand_needs_a_manager_and_a_known_level(ids: dict[str, str],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    incident_id = ids["public"]
    assert main(["incident", "--as", AS_BOB, "priority", incident_id, "P1"]) != 0
    assert "only the commander, the deputy or an incident admin may change the priority of" in capsys.readouterr().err
    assert main(["incident", "--as", AS_ALICE, "priority", incident_id, "P7"]) != 0
    assert "unknown priority 'P7' (known: P1, P2, P3, P4)" in capsys.readouterr().err
    assert main(["incident", "--as", AS_ALICE, "priority", incident_id, "p1", "--reason", "board"]) == 0
    after = shown(capsys, incident_id)
    assert after["priority"] == "P1"
    assert (after["timeline"][-1]["kind"], after["timeline"][-1]["summary"]) == (
        "priority_changed", "no priority → P1: board")


def test_the_public_status_page_by_hand_but_never_for_a_private_incident(ids: dict[str, str],
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incident", "--as", AS_ALICE, "public-title", ids["public"], "Card payments slow"]) == 0
    assert main(["incident", "--as", AS_ALICE, "public", ids["public"], "Payments are recovering"]) == 0
    events = shown(capsys, ids["public"])["timeline"]
    assert [(e["kind"], e["summary"]) for e in events if e["kind"].startswith("public_")] == [
        ("public_title_set", "Card payments slow"), ("public_update_posted", "Payments are recovering")]
    assert main(["incident", "--as", AS_BOB, "public", ids["public"], "All good"]) != 0
    assert "may publish a public update on" in capsys.readouterr().err
    assert main(["incident", "public", ids["private"], "Payments are recovering"]) != 0
    assert "private" in capsys.readouterr().err
