"""Stakeholder subscriptions to the status page's components: what is kept, and where (adapters/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

MAX_ADDRESS = 254  # RFC 5321's longest forward path, less the angle brackets
MAX_LOCAL_PART = 64
LANGUAGES = ("en", "fr")
_NOT_IN_ADDRESS = frozenset('<>()[]\\,;:"')


def normalise_address(text: str) -> str | None:
    """The address as kept (trimmed, lower-case) or None when it is not a plausible address: one ``@``, a
    local part of at most 64 characters, a dotted domain, nothing outside printable ASCII, no quoting or
    delimiters (which no subscriber needs). Linear in the length, which is capped before anything else."""
    if len(text) > MAX_ADDRESS + 64:
        return None
    address = text.strip().lower()
    if not 3 <= len(address) <= MAX_ADDRESS or address.count("@") != 1:
        return None
    if any(not ("!" <= ch <= "~") or ch in _NOT_IN_ADDRESS for ch in address):
        return None
    local, domain = address.split("@")
    if not local or len(local) > MAX_LOCAL_PART or "." not in domain:
        return None
    if domain.startswith(".") or domain.endswith(".") or ".." in domain or ".." in local:
        return None
    return address


def language_of(text: str) -> str:
    """One of LANGUAGES; anything else is English."""
    return text if text in LANGUAGES else "en"


@dataclass(frozen=True)
class Subscription:
    """One address subscribed to one component. Pending until confirmed: ``nonce`` is the confirmation
    link's, cleared when used, so a confirmation link works once and a newer request makes older links stale."""

    component: str
    address: str
    language: str = "en"
    confirmed: bool = False
    nonce: str = ""
    pending_language: str = "en"  # the language asked for by the pending request, applied when confirmed
    requested_at: datetime | None = None
    confirmed_at: datetime | None = None


class Subscriptions(Protocol):
    """One row per component and address; a component's subscribers are one partition."""

    async def get(self, component: str, address: str) -> Subscription | None: ...

    async def put(self, subscription: Subscription) -> None:
        """Store it, replacing the row of the same component and address."""
        ...

    async def remove(self, component: str, address: str) -> None: ...

    async def of_component(self, component: str) -> list[Subscription]:
        """Every row of the component, pending or confirmed, in one query."""
        ...

    async def of_address(self, address: str) -> list[Subscription]:
        """Every row of the address, whatever the component (the rare path: unsubscribing)."""
        ...

    async def every(self) -> list[Subscription]: ...
