"""Headings and inline errors are readable in Teams' light, dark and high-contrast themes (WCAG 4.5:1).

A card names a colour; each Teams theme's host config maps the name to a value. The values below are the
foreground colours of the "default" container style and its background, per theme:

- light and dark: Microsoft's Teams host configs, microsoft/AdaptiveCards samples/HostConfig/
  microsoft-teams-light.json and microsoft-teams-dark.json (the same values in microsoft/Teams-AdaptiveCards-Mobile);
- high contrast: Microsoft does not publish that host config; Teams' high-contrast palette is Fluent UI's
  teams-high-contrast theme (microsoft/fluentui packages/fluentui/react-northstar/src/themes/teams-high-contrast/
  colors.ts: black background, white text, accessibleCyan #1aebff, accessibleYellow #ffff01, accessibleGreen
  #3ff23f, red #f00), taken here for accent, warning, good and attention.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.assessment_cards import form_card
from bot.declaration import declaration_card
from bot.locale import Translator
from bot.postmortem import postmortem_card
from bot.replies import help_card
from bot.setup import TeamsSetup
from bot.views import Member, announcement_card, incident_card, reminder_card, resolve_card
from incident.assessment import request_assessment
from incident.lifecycle import Status
from incident.model import Incident
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE

THEMES: dict[str, tuple[str, dict[str, str]]] = {
    "light": ("#ffffff", {"default": "#252424", "accent": "#6264a7", "good": "#92c353", "warning": "#f8d22a",
                          "attention": "#c4314b"}),
    "dark": ("#2d2c2c", {"default": "#ffffff", "accent": "#a6a7dc", "good": "#92c353", "warning": "#f8d22a",
                         "attention": "#d74654"}),
    "high contrast": ("#000000", {"default": "#ffffff", "accent": "#1aebff", "good": "#3ff23f",
                                  "warning": "#ffff01", "attention": "#ff0000"}),
}
NOW = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of "#rrggbb" (an "#aarrggbb" host-config value is read as its last six)."""
    digits = colour.removeprefix("#")[-6:]
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def coloured(items: list[dict[str, Any]]) -> Iterator[str]:
    for item in items:
        if item.get("type") == "TextBlock":
            yield str(item.get("color", "Default")).lower()
        yield from coloured(item.get("items", []))


def incident(policy: OrganisationPolicy, severity: str, status: Status = Status.DECLARED) -> Incident:
    declared = Incident.declare(
        incident_id="INC-2026-0001", title="Checkout failing", summary="Card payments time out",
        incident_type="outage", severity=severity, declared_by=ALICE, at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
        policy=policy, roles={"commander": ALICE})
    return replace(declared, status=status)


def every_colour(policy: OrganisationPolicy) -> dict[str, set[str]]:
    """Each card's colours: an incident heading for every severity, active and resolved, and the reminder's; the
    forms' errors and notices."""
    t = Translator("en")
    cards: dict[str, dict[str, Any]] = {}
    for level in policy.severities:
        for status in (Status.DECLARED, Status.RESOLVED):
            cards[f"incident {level.name} {status}"] = incident_card(incident(policy, level.name, status), policy,
                                                                     t, NOW, [])
            cards[f"announcement {level.name} {status}"] = announcement_card(
                incident(policy, level.name, status), policy, t, NOW)
        cards[f"reminder {level.name}"] = reminder_card(incident(policy, level.name), policy, t)
    cards["private announcement"] = announcement_card(replace(incident(policy, "SEV1"), private=True), policy, t, NOW)
    cards["declaration with errors"] = declaration_card(
        policy, TeamsSetup(), t, [Member("29:alice", "Alice")], form_id="abcdef012345", notice="Please correct",
        errors={"title": "x", "services": "y"})
    cards["resolve with errors"] = resolve_card(incident(policy, "SEV1"), policy, t, values={},
                                                errors={"resolution": "x"}, notice="Tick every criterion")
    cards["help for an unknown command"] = help_card(t, unknown="deploy")
    resolved = incident(policy, "SEV1")
    resolved.resolve(actor=ALICE, at=NOW, policy=policy, resolution="Rolled back", override_reason="Told by phone")
    cards["postmortem with a notice"] = postmortem_card(resolved, t, ALICE, notice="Someone else saved it")
    assessed = incident(policy, "SEV1")
    request_assessment(assessed, actor=ALICE, assessors=[ALICE], at=NOW)
    cards["assessment form with a notice"] = form_card(assessed, policy, t, ALICE, notice="Choose a likelihood")
    return {name: set(coloured(card["body"])) for name, card in cards.items()}


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_every_heading_and_error_colour_reaches_4_5_to_1(policy: OrganisationPolicy, theme: str) -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)  # WCAG's reference points: the formula is right
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    background, foreground = THEMES[theme]
    too_faint = {name: {c: round(contrast(foreground[c], background), 2) for c in colours
                        if contrast(foreground[c], background) < 4.5}
                 for name, colours in every_colour(policy).items()}
    assert {name: faint for name, faint in too_faint.items() if faint} == {}


def test_the_most_severe_active_incidents_still_stand_out(policy: OrganisationPolicy) -> None:
    colours = every_colour(policy)
    assert "accent" in colours["incident SEV1 declared"] and "accent" in colours["incident SEV2 declared"]
    assert "accent" not in colours["incident SEV3 declared"] | colours["incident SEV1 resolved"]

