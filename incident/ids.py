"""Human-friendly incident ids such as ``INC-2026-0042``: a prefix, the year and a sequence number."""

from __future__ import annotations

import re

from incident.errors import InvalidValue

_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")


def format_incident_id(prefix: str, year: int, number: int) -> str:
    """At least four digits, more once a year passes 9999 incidents."""
    if not _PREFIX.match(prefix):
        raise InvalidValue("id_prefix", f"'{prefix}' must be 1-10 capital letters or digits")
    if number < 1:
        raise InvalidValue("id", "sequence numbers start at 1")
    return f"{prefix}-{year:04d}-{number:04d}"


_ID = re.compile(r"^[A-Z][A-Z0-9]{0,9}-\d{4}-\d{4,9}$")


def parse_incident_id(text: str) -> str:
    """Normalise what a person typed (``inc-2026-0042``) or refuse it with a clear message."""
    candidate = text.strip().upper()
    if not _ID.match(candidate):
        raise InvalidValue("id", f"'{text[:40]}' is not an incident id like INC-2026-0042")
    return candidate
