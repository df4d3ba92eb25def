"""The meeting bridge's settings: the one account its Teams meetings are organised by, and how long the
bridge may take before the plan's phone bridge is shown instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from incident.errors import ConfigurationError

ORGANIZER = "DEVOPSBOT_BRIDGE_ORGANIZER"
TIMEOUT = "DEVOPSBOT_BRIDGE_TIMEOUT_SECONDS"

BRIDGE_SETTINGS: dict[str, str] = {
    ORGANIZER:
        "User id (or user principal name) of the account that organises incident bridges (Teams meetings made "
        "through Graph with OnlineMeetings.ReadWrite.All, allowed for this account alone by a Teams application "
        "access policy). Empty: no meetings, the card shows the plan's phone bridge.",
    TIMEOUT: "Seconds a meeting may take to open before the plan's phone bridge is shown instead (1 to 60); 10.",
}


@dataclass(frozen=True)
class BridgeSettings:
    organizer: str = ""
    timeout_seconds: float = 10.0


def bridge_settings(get: Callable[[str, str], str]) -> BridgeSettings:
    organizer = get(ORGANIZER, "").strip()
    if organizer and (len(organizer) > 256 or any(c.isspace() or c in "/?#" for c in organizer)):
        raise ConfigurationError("settings", ORGANIZER, "must be a user id or a user principal name")
    raw = get(TIMEOUT, "10").strip() or "10"
    try:
        timeout = float(raw)
    except ValueError:
        raise ConfigurationError("settings", TIMEOUT, f"'{raw}' is not a number of seconds") from None
    if not 1 <= timeout <= 60:
        raise ConfigurationError("settings", TIMEOUT, "must be between 1 and 60 seconds")
    return BridgeSettings(organizer, timeout)
