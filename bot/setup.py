"""How incidents live in Teams for this organisation (the ``[teams]`` part of the organisation file)."""

from __future__ import annotations

from dataclasses import dataclass

from incident.model import Person


@dataclass(frozen=True)
class TeamsSetup:
    space_mode: str = "thread"  # thread | channel | chat
    incidents_channel: str = "General"
    broadcast_channels: tuple[str, ...] = ("General",)
    admin_team: tuple[Person, ...] = ()
    # Microsoft Graph can make a security incident's private channel (channel mode) or group chat (the bot
    # installs itself in it, so it needs the Teams app id); without it, its people are told one by one.
    private_spaces: bool = False

    @property
    def default_broadcast(self) -> str:
        return self.broadcast_channels[0]
