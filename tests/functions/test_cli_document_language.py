"""By hand (#19): ``incident pin|unpin ID N`` as ``pin <n>`` in Teams, and ``postmortem document --language``,
whose default is the incident's own language, through the CLI's main function on the in-memory stack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.cli.main import main
from incident.model import Incident
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE

# devopsbot's own words in the document; none may be left in a French one.
ENGLISH = ("Incident document generated", "Blameless:", "| Severity |", "| Status |", "Time to resolve",
           "## Key events", "## Severity and priority history", "## Roles over time", "## Response plan",
           "## Exit criteria", "## Contributing factors", "## Follow-ups", "## Notes from the conversation",
           "## Timeline", "All times in UTC", "Not written yet.", "Not resolved yet.", "None recorded yet.",
           "Key event:", "When (UTC)", "Local time", "What made the failure possible", "pinned as a key event",
           "not required", "not resolved", "| investigating |", "| declared |")
FRENCH = ("Document d'incident généré le", "| Gravité | SEV2 |", "| Statut |", "## Événements clés",
          "## Chronologie", "## Notes de la conversation", "**Événement clé :** Rolled back release 42",
          "Toutes les heures en UTC", "Pas encore résolu.", "## Plan de réponse")


@pytest.fixture
async def stack(memory_container: Container, policy: OrganisationPolicy, clock: FixedClock) -> Iterator[Container]:
    incidents = memory_container.dependencies.incidents
    for number, private, language in ((1, False, "en"), (2, True, "en"), (3, False, "fr")):
        await incidents.add(Incident.declare(
            incident_id=f"INC-2026-000{number}", title="Checkout failing", summary="", incident_type="outage",
            severity="SEV2", declared_by=ALICE, at=clock.now() - timedelta(hours=1), policy=policy, private=private,
            language=language))
    bootstrap.reset_container(memory_container)
    yield memory_container
    bootstrap.reset_container(None)


def shown_notes(capsys: pytest.CaptureFixture[str], incident_id: str) -> list[tuple[str, bool]]:
    capsys.readouterr()
    assert main(["incident", "show", incident_id, "--json"]) == 0
    return [(n["text"], n["pinned"]) for n in json.loads(capsys.readouterr().out)["notes"]]


def test_pin_and_unpin_an_earlier_note_by_hand(stack: Container, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incident", "note", "INC-2026-0001", "Rolled", "back"]) == 0
    assert main(["incident", "note", "INC-2026-0001", "Dashboards", "green"]) == 0
    assert main(["incident", "pin", "INC-2026-0001", "2"]) == 0
    assert shown_notes(capsys, "INC-2026-0001") == [("Rolled back", False), ("Dashboards green", True)]
    assert main(["incident", "--as", "Alice Martin <29:alice>", "unpin", "INC-2026-0001", "2"]) == 0
    assert shown_notes(capsys, "INC-2026-0001") == [("Rolled back", False), ("Dashboards green", False)]


def test_a_bad_note_number_is_refused_with_a_sentence(stack: Container, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incident", "pin", "INC-2026-0001", "1"]) != 0
    assert "INC-2026-0001 has no notes yet" in capsys.readouterr().err
    assert main(["incident", "note", "INC-2026-0001", "Rolled", "back"]) == 0
    assert main(["incident", "pin", "INC-2026-0001", "4"]) != 0
    assert "there is no note 4 in INC-2026-0001: its notes are numbered 1 to 1" in capsys.readouterr().err


def test_someone_outside_a_private_incident_may_not_pin_its_notes(
        stack: Container, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incident", "note", "INC-2026-0002", "Isolated", "the", "host"]) == 0
    assert main(["incident", "--as", "Dave <29:dave>", "pin", "INC-2026-0002", "1"]) == 4
    error = capsys.readouterr().err
    assert "may add a note to INC-2026-0002" in error and "Isolated" not in error
    assert main(["incident", "--as", "Dave <29:dave>", "pin", "INC-2026-0002", "9"]) == 4  # no count learnt either
    assert "numbered" not in capsys.readouterr().err
    assert shown_notes(capsys, "INC-2026-0002") == [("Isolated the host", False)]


def document(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["postmortem", "document", *args]) == 0
    return capsys.readouterr().out


def test_the_document_is_in_french_when_asked_and_by_default_for_a_french_incident(
        stack: Container, capsys: pytest.CaptureFixture[str]) -> None:
    for incident_id in ("INC-2026-0001", "INC-2026-0003"):
        assert main(["incident", "note", incident_id, "Rolled", "back", "release", "42"]) == 0
        assert main(["incident", "pin", incident_id, "1"]) == 0
    asked = document(capsys, "INC-2026-0001", "--language", "fr")
    by_default = document(capsys, "INC-2026-0003")
    for markdown in (asked, by_default):
        assert [phrase for phrase in ENGLISH if phrase in markdown] == []
        assert [phrase for phrase in FRENCH if phrase not in markdown] == []
        assert "note 1 : événement clé" not in markdown and "note 1 marquée comme événement clé" in markdown
    assert document(capsys, "INC-2026-0001").count("## Key events") == 1  # an English incident: English
    english = document(capsys, "INC-2026-0003", "--language", "en")
    assert "## Timeline" in english and "**Key event:** Rolled back release 42" in english
    html = document(capsys, "INC-2026-0003", "--format", "html")
    assert '<html lang="fr">' in html and "<h2>Événements clés</h2>" in html and "<h2>Key events</h2>" not in html
