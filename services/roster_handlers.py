"""Handlers of the roster commands: who may (incident admins, or the operator at the CLI), then the change."""

from __future__ import annotations

from typing import Any

from incident.roster import Override, RosterEntry
from incident.roster_commands import AddOverride, ImportRoster, SetRole
from services.bus import Dependencies, Handler
from services.roster_csv import import_csv
from services.roster_service import add_override, may_change_roster, set_role


def _authorise(cmd: Any, deps: Dependencies) -> None:
    if cmd.enforce_roles:
        may_change_roster(deps.policy, cmd.actor)


async def set_role_row(cmd: SetRole, deps: Dependencies) -> RosterEntry:
    _authorise(cmd, deps)
    return await set_role(deps.roster, deps.policy, cmd.service, cmd.role, cmd.people, cmd.rotation)


async def override_role(cmd: AddOverride, deps: Dependencies) -> Override:
    _authorise(cmd, deps)
    return await add_override(deps.roster, deps.policy, cmd.service, cmd.role, cmd.person, cmd.start, cmd.end,
                              actor=cmd.actor, now=deps.clock.now(), reason=cmd.reason)


async def import_roster(cmd: ImportRoster, deps: Dependencies) -> dict[str, int]:
    """The counts of rows and overrides stored per service; RosterFileError names every problem."""
    _authorise(cmd, deps)
    return await import_csv(deps.roster, deps.policy, cmd.raw, cmd.at or deps.clock.now())


ROSTER_HANDLERS: dict[type, Handler] = {SetRole: set_role_row, AddOverride: override_role,
                                        ImportRoster: import_roster}
