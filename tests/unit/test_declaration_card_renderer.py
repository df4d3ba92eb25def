"""The declaration form as the adaptivecards npm library (the reference renderer) reads it: no warnings.

A missing Node.js or library fails the test (tests/support/card_check.py): `make setup` installs both.
"""

from __future__ import annotations

from incident.policy import OrganisationPolicy
from tests.support.card_check import card_problems
from tests.unit.test_declaration_form import card


def test_the_form_parses_and_validates_without_a_warning(policy: OrganisationPolicy) -> None:
    forms = {"fresh": card(policy), "with errors": card(policy, errors={"title": "x", "services": "y"},
                                                        notice="Please correct the fields marked below."),
             "french": card(policy, language="fr")}
    assert card_problems(forms) == {name: [] for name in forms}
