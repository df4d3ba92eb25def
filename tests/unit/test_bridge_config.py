"""The meeting bridge's configuration (issue #18): ``bridge`` per severity in the organisation file, checked at
start-up, its settings, and the cards that show it validated by the adaptivecards library."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.locale import Translator
from bot.views import announcement_card, incident_card
from devopsbot.organisation import load_organisation
from devopsbot.settings import ROOT, load_settings
from incident.errors import ConfigurationError
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from tests.support.card_check import buttons, card_problems
from tests.unit.test_organisation_config import error_for, write

SHIPPED = (ROOT / "config" / "organisation.toml").read_text()
LOCAL = {"DEVOPSBOT_STORAGE_CONNECTION_STRING": "memory"}
LINK = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_1%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d"


def test_the_two_most_severe_levels_open_a_bridge_unless_the_file_says_otherwise(tmp_path: Path) -> None:
    shipped = load_organisation(write(tmp_path, SHIPPED))
    assert [s.bridge for s in shipped.severities] == [True, True, False, False]
    changed = SHIPPED.replace('[severities.SEV2]\n', '[severities.SEV2]\nbridge = false\n').replace(
        '[severities.SEV4]\n', '[severities.SEV4]\nbridge = true\n')
    assert [s.bridge for s in load_organisation(write(tmp_path, changed)).severities] == [True, False, False, True]


def test_a_bridge_that_is_not_true_or_false_stops_start_up(tmp_path: Path) -> None:
    error = error_for(tmp_path, SHIPPED.replace('[severities.SEV1]\n', '[severities.SEV1]\nbridge = "yes"\n'))
    assert "severities.SEV1.bridge: Input should be a valid boolean" in str(error)  # not "extra input"


def test_the_bridge_settings_are_read_and_checked() -> None:
    settings = load_settings({**LOCAL, "DEVOPSBOT_BRIDGE_ORGANIZER": "bridge@contoso.example",
                              "DEVOPSBOT_BRIDGE_TIMEOUT_SECONDS": "5"})
    assert (settings.bridge.organizer, settings.bridge.timeout_seconds) == ("bridge@contoso.example", 5.0)
    assert load_settings(LOCAL).bridge.organizer == ""
    for name, value in (("DEVOPSBOT_BRIDGE_TIMEOUT_SECONDS", "600"), ("DEVOPSBOT_BRIDGE_TIMEOUT_SECONDS", "soon"),
                        ("DEVOPSBOT_BRIDGE_ORGANIZER", "a b")):
        with pytest.raises(ConfigurationError, match=name):
            load_settings({**LOCAL, name: value})


def incident(policy: OrganisationPolicy, *, bridge: str = "", severity: str = "SEV1") -> Incident:
    alice = Person("29:alice", "Alice Martin")
    found = Incident.declare(incident_id="INC-2026-0001", title="Checkout failing", summary="", incident_type="outage",
                             severity=severity, declared_by=alice, at=datetime(2026, 11, 27, 10, tzinfo=UTC),
                             policy=policy, roles={"commander": alice})
    found.bridge = bridge
    return found


def test_the_bridge_adds_no_warning_to_the_cards(policy: OrganisationPolicy) -> None:
    """The bridge's join button, its "Open a bridge" (in the managers' row) and the phone fact: no warning from
    the adaptivecards library, in either language."""
    now = datetime(2026, 11, 27, 10, 5, tzinfo=UTC)
    cards = {}
    for language in ("en", "fr"):
        t = Translator(language)
        with_link, without = incident(policy, bridge=LINK), incident(policy)
        no_bridge = incident(policy, severity="SEV3")
        for view, manage in (("everyone", False), ("managers", True)):
            cards |= {f"joined {view} {language}": incident_card(with_link, policy, t, now, [], manage=manage),
                      f"phone {view} {language}": incident_card(without, policy, t, now, [], manage=manage),
                      f"before {view} {language}": incident_card(no_bridge, policy, t, now, [], manage=manage)}
        cards[f"announced {language}"] = announcement_card(with_link, policy, t, now)
    assert card_problems(cards) == {name: [] for name in cards}
    assert [a["url"] for a in cards["announced fr"]["actions"]] == [LINK]
    assert cards["joined everyone fr"]["actions"][0]["title"] == "Rejoindre le pont"
    assert "Open a bridge" in [a["title"] for a in buttons(cards["phone managers en"])]
    assert "Open a bridge" not in [a["title"] for a in buttons(cards["phone everyone en"])]
    assert "Open a bridge" not in [a["title"] for a in buttons(cards["joined managers en"])]
    phone = {"title": "Phone bridge", "value": r"\+1 555 0100, PIN 4242"}  # not "Phone bridge: ..." twice
    assert any(f == phone for item in cards["phone everyone en"]["body"]
               if item.get("type") == "FactSet" for f in item["facts"])


def test_the_link_is_kept_in_table_storage_and_a_bad_one_is_refused(policy: OrganisationPolicy) -> None:
    from adapters.table_entities import incident_entity, incident_from
    from incident.bridge import RecordBridge, record_bridge
    from incident.errors import InvalidValue

    stored = incident(policy)
    at = datetime(2026, 11, 27, 10, 1, tzinfo=UTC)
    for forged in ("http://teams.example/join", "https://x.example/a b", "https://x.example/[x](https://evil)"):
        with pytest.raises(InvalidValue):
            record_bridge(stored, RecordBridge(stored.id, forged), at=at)
    event = record_bridge(stored, RecordBridge(stored.id, LINK), at=at)
    assert event is not None and event.kind == "bridge_opened"
    assert record_bridge(stored, RecordBridge(stored.id, LINK + "x"), at=at) is None  # the first link stays
    assert incident_from(incident_entity(stored), "tag").bridge == LINK
