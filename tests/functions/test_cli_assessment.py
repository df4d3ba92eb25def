"""``python -m devopsbot assess ...``: the risk assessment by hand, through the CLI's main function on the
in-memory stack, with the same rules as Teams (blind answers, the deadline, the commander decides)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.cli.main import main
from incident import commands
from incident.model import Person
from tests.functions.test_teams_assessment import CRITERIA

ALICE = Person("29:alice", "Alice Martin")
BOB = Person("29:bob", "Bob Durand")
AS_ALICE = "Alice Martin <29:alice>"
AS_BOB = "Bob Durand <29:bob>"


@pytest.fixture
async def stack(memory_container: Container) -> Iterator[tuple[Container, str]]:
    incident = await memory_container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE}))
    await memory_container.bus.drain()
    bootstrap.reset_container(memory_container)
    yield memory_container, incident.id
    bootstrap.reset_container(None)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["assess", "--json", *args]) == 0, capsys.readouterr().err
    found: dict[str, object] = json.loads(capsys.readouterr().out)
    return found


def ratings(value: int) -> list[str]:
    return [f"--rating={key}={value}" for key in CRITERIA]


def test_request_answer_and_accept_by_hand(stack: tuple[Container, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, incident_id = stack
    asked = run(capsys, "--as", AS_ALICE, "request", incident_id, AS_ALICE, AS_BOB)
    assert (asked["asked"], asked["answered"], asked["revealed"]) == (["Alice Martin", "Bob Durand"], 0, False)
    first = run(capsys, "--as", AS_ALICE, "answer", incident_id, "--likelihood", "Likely", "--impact", "Major",
                *ratings(3))
    assert (first["answered"], first["revealed"], first["proposal"]) == (1, False, None)  # blind until all are in
    last = run(capsys, "--as", AS_BOB, "answer", incident_id, "--likelihood", "Likely", "--impact", "Major",
               *ratings(3))
    assert last["revealed"] is True
    assert last["proposal"] == {"risk": "High", "severity": "SEV2", "priority": "P2"}
    decided = run(capsys, "--as", AS_ALICE, "accept", incident_id)
    assert (decided["decision"], decided["severity"], decided["priority"]) == ("accepted", "SEV2", "P2")


def test_override_needs_the_commander_and_a_reason(stack: tuple[Container, str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _, incident_id = stack
    run(capsys, "--as", AS_ALICE, "request", incident_id, AS_BOB)
    run(capsys, "--as", AS_BOB, "answer", incident_id, "--likelihood", "Likely", "--impact", "Major", *ratings(3))
    assert main(["assess", "--as", AS_BOB, "override", incident_id, "--severity", "SEV1", "--priority", "P1",
                 "--reason", "board meeting"]) != 0  # Bob assessed; he does not command
    assert "commander" in capsys.readouterr().err
    decided = run(capsys, "--as", AS_ALICE, "override", incident_id, "--severity", "SEV1", "--priority", "P1",
                  "--reason", "the payment provider's own outage makes it worse")
    assert (decided["decision"], decided["severity"], decided["priority"]) == ("overridden", "SEV1", "P1")


def test_reveal_by_hand_waits_for_the_deadline(stack: tuple[Container, str], clock: FixedClock,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _, incident_id = stack
    run(capsys, "--as", AS_ALICE, "request", incident_id, AS_BOB, "--minutes", "15")
    assert main(["assess", "reveal", incident_id]) != 0
    assert "answers stay hidden until all are in or" in capsys.readouterr().err
    clock.advance(timedelta(minutes=16))
    revealed = run(capsys, "reveal", incident_id)
    assert (revealed["revealed"], revealed["proposal"]) == (True, None)  # nobody answered in time


def test_without_an_assessment_answering_says_how_to_ask(stack: tuple[Container, str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    _, incident_id = stack
    assert main(["assess", "--as", AS_BOB, "answer", incident_id, "--likelihood", "Likely", "--impact",
                 "Major"]) != 0
    assert "assess request" in capsys.readouterr().err
    assert main(["assess", "--as", AS_ALICE, "answer", incident_id, "--likelihood", "x", "--impact", "y",
                 "--rating", "nonsense"]) != 0
