"""People in the incident process."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Person:
    """Someone in the process, identified by their Teams/Entra id; email is for the backup path."""

    id: str
    name: str
    email: str = ""
    aad_id: str = ""  # the Entra object id, which Microsoft Graph needs; Teams ids are not enough
    # Their mail's language as the roster says it ("en"/"fr", "" unsaid); not part of who they are.
    language: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.name or self.id


def split_named(text: str) -> tuple[str, str, str] | None:
    """``"Display Name <id> rest"`` as (name, id, rest), each stripped; None when there is no ``<id>`` or
    the name has an angle bracket. One pass: the patterns it replaced backtracked on runs of spaces."""
    opening = text.find("<")
    closing = text.find(">", opening + 1) if opening >= 0 else -1
    person_id = text[opening + 1:closing].strip() if closing >= 0 else ""
    if not person_id or "<" in person_id or ">" in text[:opening]:
        return None
    return text[:opening].strip(), person_id, text[closing + 1:].strip()
