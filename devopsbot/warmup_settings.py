"""Whether a new process warms up in the background (devopsbot/warmup.py): its one setting, read where the
process starts, before the other settings are loaded."""

from __future__ import annotations

import logging
from collections.abc import Mapping

log = logging.getLogger(__name__)

BACKGROUND_SETTING = "DEVOPSBOT_BACKGROUND_WARMUP"
WARMUP_SETTINGS: dict[str, str] = {
    BACKGROUND_SETTING:
        "true (default): a new process builds what the first Teams request needs in a background thread at "
        "start-up, without delaying its port; false: the first request builds it. The Functions warmup trigger, "
        "where the plan calls it, warms the instance either way.",
}


def background_enabled(settings: Mapping[str, str]) -> bool:
    """DEVOPSBOT_BACKGROUND_WARMUP: true or empty (the default) or false. Read where the process starts, before
    the other settings: a wrong value is said in the log and the default kept, never a host that cannot start."""
    value = settings.get(BACKGROUND_SETTING, "").strip().lower()
    if value not in {"", "true", "false"}:
        log.warning("%s: '%s' is neither true nor false; warming in the background, the default",
                    BACKGROUND_SETTING, value[:20])
    return value != "false"
