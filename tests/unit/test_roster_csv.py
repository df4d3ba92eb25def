"""Roster CSV files: what the csv module itself cannot read is refused like any other bad file (line and
reason); an export holds no cell a spreadsheet would evaluate, and imports back to the same roster."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime

import pytest

from incident.people import Person
from incident.policy import OrganisationPolicy
from incident.roster import Override, RosterEntry
from services.ports import RosterPartition
from services.roster_csv import COLUMNS, RosterFileError, parse, write

HEADER = ",".join(COLUMNS) + "\n"


def test_a_field_too_large_for_the_csv_reader_is_a_line_numbered_refusal(policy: OrganisationPolicy) -> None:
    huge = "x" * 200_000
    rows = "checkout,commander,primary,29:ana,Ana,,,,,,,\n" + f'checkout,deputy,primary,29:ben,"{huge}",,,,,,,\n'
    with pytest.raises(RosterFileError) as refused:
        parse(HEADER + rows, policy)
    assert refused.value.problems[0].startswith("line 3: ")
    assert "field larger than field limit" in refused.value.problems[0]


FORMULAS = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\tindented", "\rcarriage",
            "'=already quoted", "''+twice"]


def _roster_with(text: str) -> list[RosterPartition]:
    person = Person("29:ana", text, "ana@contoso.example")
    entry = RosterEntry("checkout", "commander", person, (Person(text, "Ben Ito"),))
    override = Override("checkout", "commander", person, datetime(2026, 12, 1, 8, tzinfo=UTC),
                        datetime(2026, 12, 3, 8, tzinfo=UTC), reason=text)
    return [RosterPartition("checkout", (entry,), (override,))]


@pytest.mark.parametrize("text", FORMULAS)
def test_an_exported_cell_a_spreadsheet_would_evaluate_starts_with_a_quote(text: str) -> None:
    rows = list(csv.reader(io.StringIO(write(_roster_with(text)), newline="")))[1:]
    cells = [cell for row in rows for cell in row if text in cell]
    assert len(cells) == 4  # the primary's name, the delegate's id, the override's name and its reason
    assert all(cell == "'" + text for cell in cells)
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


@pytest.mark.parametrize("text", [*FORMULAS, "'Bob", "Bob", "O'Brien", "'"])
def test_an_exported_roster_imports_back_to_the_same_people_and_reasons(policy: OrganisationPolicy,
                                                                        text: str) -> None:
    entries, overrides = parse(write(_roster_with(text)), policy)
    [entry] = entries["checkout"]
    [override] = overrides["checkout"]
    assert entry.primary is not None
    assert (entry.primary.name, entry.delegates[0].id, override.person.name, override.reason) == (text,) * 4


def test_a_hand_written_quote_before_a_name_is_kept(policy: OrganisationPolicy) -> None:
    entries, _ = parse(HEADER + "checkout,commander,primary,29:ana,'Ana,,,,,,,\n", policy)
    assert entries["checkout"][0].primary == Person("29:ana", "'Ana")


def test_an_email_with_a_long_run_of_dots_is_refused_at_once(policy: OrganisationPolicy) -> None:
    email = "a@" + "." * 100_000 + "@"
    started = time.process_time()
    with pytest.raises(RosterFileError) as refused:
        parse(HEADER + f"checkout,commander,primary,29:ana,Ana,{email},,,,,,\n", policy)
    assert time.process_time() - started < 0.1
    assert "is not an email address" in refused.value.problems[0]
