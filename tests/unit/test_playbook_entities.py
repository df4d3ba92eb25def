"""A playbook version's Table Storage entity respects the service's limits for any text verification lets in."""

from __future__ import annotations

from datetime import UTC, date, datetime

from adapters.table_playbooks import version_entity
from incident.people import Person
from incident.playbook import PlaybookVersion

PROPERTY_LIMIT = 64 * 1024  # bytes of UTF-16 per string property (Table Storage)
ENTITY_LIMIT = 1024 * 1024  # bytes per entity
LARGEST_ALLOWED = 500 * 1000  # [playbooks] max_kb may go up to 500 (devopsbot/organisation.py)


def entity_for(text: str) -> dict[str, object]:
    version = PlaybookVersion("checkout", 1, text, Person("29:a", "Alex"), datetime(2026, 11, 27, tzinfo=UTC),
                              "Payments", date(2026, 11, 1))
    return version_entity(version)


def text_properties(entity: dict[str, object]) -> list[str]:
    return [str(entity[f"Text{i}"]) for i in range(int(str(entity["Chunks"])))]


def test_every_piece_of_an_emoji_heavy_playbook_fits_one_property() -> None:
    text = "🔥" * 40_000  # 160 KB of UTF-8, under a raised max_kb; each emoji is two UTF-16 units
    pieces = text_properties(entity_for(text))
    assert "".join(pieces) == text
    assert max(len(p.encode("utf-16-le")) for p in pieces) <= PROPERTY_LIMIT


def test_the_largest_playbook_the_configuration_allows_is_stored_in_one_entity() -> None:
    text = "x" * LARGEST_ALLOWED
    pieces = text_properties(entity_for(text))
    assert "".join(pieces) == text
    assert sum(len(p.encode("utf-16-le")) for p in pieces) < ENTITY_LIMIT
