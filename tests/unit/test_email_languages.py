"""Every incident email reads in its reader's language: French when the view says "fr", English otherwise,
and hostile strings stay escaped in both."""

from __future__ import annotations

import pytest

from adapters.templates import render_email
from tests.unit.test_email_templates import HOSTILE, TEMPLATES, view

# Fixed English sentences the incident emails carry; none may be left in a French render.
ENGLISH = ("Latest update", "Severity", "Incident page", "Dashboard", "If Teams is unavailable", "No summary yet",
           "Act without Teams", "You receive this", "Declared ", "Resolved ", "as commander you owe",
           "You are now", "Please acknowledge", "needs attention", "status update", "security incident",
           "none yet", "Details are restricted")
FRENCH = ("Gravité", "Statut", "Page de l", "Tableau de bord")  # an apostrophe is &#39; in HTML
LANGUAGE_TEMPLATES = sorted(TEMPLATES.keys() & {"declared", "status_update", "resolved", "reminder", "escalated",
                                                "alert"})


@pytest.mark.parametrize("restricted", [False, True])
@pytest.mark.parametrize("name", LANGUAGE_TEMPLATES)
def test_a_french_reader_gets_no_english_sentence(name: str, restricted: bool) -> None:
    text, html = render_email(name, view=view(language="fr", restricted=restricted), **TEMPLATES[name])
    for part in (text, html):
        assert [phrase for phrase in ENGLISH if phrase in part] == []
        assert all(phrase in part for phrase in FRENCH)
    assert '<html lang="fr">' in html


@pytest.mark.parametrize("name", LANGUAGE_TEMPLATES)
def test_an_english_reader_gets_no_french_sentence(name: str) -> None:
    text, html = render_email(name, view=view(language="en"), **TEMPLATES[name])
    for part in (text, html):
        assert [phrase for phrase in FRENCH if phrase in part] == []
        assert "Latest update" in part


@pytest.mark.parametrize("name", LANGUAGE_TEMPLATES)
def test_the_french_render_escapes_hostile_strings_as_the_english_one(name: str) -> None:
    text, html = render_email(name, view=view(language="fr"), **TEMPLATES[name])
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in html
    assert HOSTILE in text


def test_the_stakeholder_declaration_is_french_for_a_french_incident() -> None:
    text, html = render_email("declared", view=view(language="fr", actions=[]),
                              **{**TEMPLATES["declared"], "stakeholder": True})
    for part in (text, html):
        assert "partie prenante des incidents SEV2" in part and "Déclaré le 2026-11-27 10:00 UTC" in part
