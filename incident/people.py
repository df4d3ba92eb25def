"""People in the incident process."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """Someone in the process, identified by their Teams/Entra id; email is for the backup path."""

    id: str
    name: str
    email: str = ""
    aad_id: str = ""  # the Entra object id, which Microsoft Graph needs; Teams ids are not enough

    def __str__(self) -> str:
        return self.name or self.id
