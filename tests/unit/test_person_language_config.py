"""Languages in the organisation file: ``[organisation] language`` (the default) and ``language`` on an audience
or a person, for people devopsbot only mails. English or French; anything else is refused in a sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT
from incident.errors import ConfigurationError
from incident.policy import OrganisationPolicy

DEFAULT = (ROOT / "config" / "organisation.toml").read_text()
CONTACT = 'contact = { id = "29:duty-manager", name = "Duty manager", email = "duty-manager@contoso.example"'
CHOICES = "is not a language devopsbot writes in: use \"en\" (English) or \"fr\" (French)"


def loaded(tmp_path: Path, text: str) -> OrganisationPolicy:
    path = tmp_path / "organisation.toml"
    path.write_text(text, encoding="utf-8")
    return load_organisation(path)


@pytest.mark.parametrize(("old", "new", "field"), [
    ("[audiences.support]\n", '[audiences.support]\nlanguage = "de"\n', "audiences.support.language"),
    ('id_prefix = "INC"', 'id_prefix = "INC"\nlanguage = "de"', "organisation.language"),
    (CONTACT, CONTACT + ', language = "de"', "escalation.contact.language"),
])
def test_an_unsupported_language_is_refused_with_the_field_and_the_choices(
        tmp_path: Path, old: str, new: str, field: str) -> None:
    assert old in DEFAULT
    with pytest.raises(ConfigurationError) as raised:
        loaded(tmp_path, DEFAULT.replace(old, new, 1))
    assert raised.value.field == field
    assert str(raised.value).endswith(f"{field}: 'de' {CHOICES}")


def test_languages_said_in_the_file_are_each_persons_a_regional_form_read_as_its_language(tmp_path: Path) -> None:
    text = DEFAULT.replace("[audiences.support]\n", '[audiences.support]\nlanguage = "fr-CA"\n', 1)
    text = text.replace(CONTACT, CONTACT + ', language = "FR"', 1).replace(
        'id_prefix = "INC"', 'id_prefix = "INC"\nlanguage = "fr"', 1)
    policy = loaded(tmp_path, text)
    assert policy.languages == {"support-leads@contoso.example": "fr", "29:duty-manager": "fr",
                                "duty-manager@contoso.example": "fr"}
    assert policy.language == "fr"


def test_without_languages_the_default_is_english_and_nobody_has_one(tmp_path: Path) -> None:
    policy = loaded(tmp_path, DEFAULT)
    assert policy.languages == {} and policy.language == "en"
