"""Roster CSV files the csv module itself cannot read are refused like any other bad file: line and reason."""

from __future__ import annotations

import pytest

from incident.policy import OrganisationPolicy
from services.roster_csv import COLUMNS, RosterFileError, parse

HEADER = ",".join(COLUMNS) + "\n"


def test_a_field_too_large_for_the_csv_reader_is_a_line_numbered_refusal(policy: OrganisationPolicy) -> None:
    huge = "x" * 200_000
    rows = "checkout,commander,primary,29:ana,Ana,,,,,,,\n" + f'checkout,deputy,primary,29:ben,"{huge}",,,,,,,\n'
    with pytest.raises(RosterFileError) as refused:
        parse(HEADER + rows, policy)
    assert refused.value.problems[0].startswith("line 3: ")
    assert "field larger than field limit" in refused.value.problems[0]
