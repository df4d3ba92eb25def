"""Instants on cards as Adaptive Cards date and time functions, so each reader's Teams shows them in their own
time zone and language, and a card never says "0 min ago" long after it was posted."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(at: datetime) -> str:
    """UTC with a ``Z`` and whole seconds: the one form Teams' DATE() and TIME() accept."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def card_date_time(at: datetime) -> str:
    """``{{DATE(…, SHORT)}} {{TIME(…)}}``: the day and the time, as the reader's Teams writes them."""
    stamp = rfc3339(at)
    return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"


def card_date(at: datetime) -> str:
    return f"{{{{DATE({rfc3339(at)}, SHORT)}}}}"
