"""Instants people type: ISO 8601 with Z or an offset, a bare date, or no zone (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from incident.errors import InvalidValue
from incident.instants import parse_instant


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01T09:00:00Z", datetime(2026, 12, 1, 9, tzinfo=UTC)),
    (" 2026-12-01T09:00Z ", datetime(2026, 12, 1, 9, tzinfo=UTC)),
    ("2026-12-01T10:00:00+01:00", datetime(2026, 12, 1, 10, tzinfo=timezone(timedelta(hours=1)))),
    ("2026-12-01T09:00", datetime(2026, 12, 1, 9, tzinfo=UTC)),
    ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
])
def test_an_instant_is_read_with_utc_when_no_zone_is_given(text: str, expected: datetime) -> None:
    assert parse_instant(text, "--at") == expected


def test_anything_else_names_the_field() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_instant("next tuesday", "--due")
    assert refused.value.field == "--due" and "is not an ISO 8601 instant" in str(refused.value)
