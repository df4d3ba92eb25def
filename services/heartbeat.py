"""The due-work timer's heartbeat: each tick says it ran (a metric, a log line Azure Monitor watches, and
the instant stored where /api/health/ready reads it), so an alert outside the app fires when ticks stop."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from incident.errors import DevopsbotError
from services.ports import StateStore
from services.telemetry_ports import HEARTBEATS, LAST_TICK, telemetry

log = logging.getLogger(__name__)
HEARTBEAT_MESSAGE = "devopsbot heartbeat"  # infra/ alert rule queries traces for this text: keep them equal
LAST_TICK_STATE = "timer-last-tick"
TICK_STALE_AFTER = timedelta(minutes=5)  # the same window as the Azure Monitor alert


async def record_heartbeat(state: StateStore | None, now: datetime, due: int, acted: int, failed: int) -> None:
    """After a tick: count it, log it, store its instant. A failed store is logged, not raised: the tick's
    work is done, and readiness then reports the older instant."""
    telemetry().count(HEARTBEATS)
    telemetry().set(LAST_TICK, now.timestamp())
    log.info("%s: due-work tick at %s, %d due, %d done, %d failed", HEARTBEAT_MESSAGE, now.isoformat(), due,
             acted, failed)
    if state is None:
        return
    try:
        await state.put(LAST_TICK_STATE, now.isoformat())
    except DevopsbotError as error:
        log.warning("could not store the last tick's instant: %s", error)


async def last_tick(state: StateStore) -> datetime | None:
    """When the last tick of any instance completed; None when none has been recorded (or it is unreadable)."""
    stored = await state.get(LAST_TICK_STATE)
    if not stored:
        return None
    try:
        return datetime.fromisoformat(stored)
    except ValueError:
        return None
