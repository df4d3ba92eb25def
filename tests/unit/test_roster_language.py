"""The roster's optional ``person_language`` column: a person's mail language, for people who are not (yet) known
from Teams. "en" or "fr" (a regional form reads as its language); anything else refuses the file, naming the line."""

from __future__ import annotations

import pytest

from incident.people import Person
from incident.policy import OrganisationPolicy
from incident.roster import RosterEntry
from services.ports import RosterPartition
from services.roster_csv import COLUMNS, RosterFileError, parse, write

HEADER = ",".join((*COLUMNS, "person_language")) + "\n"


def test_a_person_language_column_gives_each_person_their_language(policy: OrganisationPolicy) -> None:
    entries, _ = parse(HEADER + "checkout,commander,primary,29:ana,Ana,ana@contoso.example,,,,,,,fr-CA\n"
                                "checkout,commander,delegate,29:ben,Ben,ben@contoso.example,,,,,,,\n", policy)
    [entry] = entries["checkout"]
    assert entry.primary is not None and entry.primary.language == "fr"
    assert entry.delegates[0].language == ""


def test_an_unsupported_language_refuses_the_file_with_its_line_and_the_choices(policy: OrganisationPolicy) -> None:
    with pytest.raises(RosterFileError) as refused:
        parse(HEADER + "checkout,commander,primary,29:ana,Ana,ana@contoso.example,,,,,,,fr\n"
                       "checkout,commander,delegate,29:ben,Ben,ben@contoso.example,,,,,,,de\n", policy)
    assert refused.value.problems == (
        "line 3: person_language: 'de' is not a language devopsbot writes in: use \"en\" (English) or \"fr\" "
        "(French)",)


def test_languages_survive_an_export_and_a_roster_without_them_exports_as_before(policy: OrganisationPolicy) -> None:
    ana = Person("29:ana", "Ana", "ana@contoso.example", language="fr")
    ben = Person("29:ben", "Ben", "ben@contoso.example")
    exported = write([RosterPartition("checkout", (RosterEntry("checkout", "commander", ana, (ben,)),), ())])
    assert exported.splitlines()[0].endswith(",reason,person_language")
    [entry] = parse(exported, policy)[0]["checkout"]
    assert entry.primary is not None and entry.primary.language == "fr" and entry.delegates[0].language == ""
    plain = write([RosterPartition("checkout", (RosterEntry("checkout", "commander", ben),), ())])
    assert plain.splitlines()[0] == ",".join(COLUMNS)
