"""Reading an instant someone typed (a command's time, a CLI option)."""

from __future__ import annotations

from datetime import UTC, datetime

from incident.errors import InvalidValue

MAX_INSTANT_TEXT = 64  # far more than any ISO 8601 instant; longer text is refused before it is read


def parse_instant(text: str, field: str) -> datetime:
    """An ISO 8601 instant (``Z`` for UTC) or a date (its midnight); without a zone, UTC. Anything else is
    InvalidValue naming ``field``."""
    if len(text) > MAX_INSTANT_TEXT:
        raise InvalidValue(field, f"'{text[:20]}…' is {len(text)} characters long; an ISO 8601 instant like "
                                  "2026-12-01T09:00:00Z has at most a few dozen")
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(field, f"'{text}' is not an ISO 8601 instant (or a date) like 2026-12-01T09:00:00Z") \
            from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
