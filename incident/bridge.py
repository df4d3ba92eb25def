"""The incident's meeting bridge: the join link of its Teams meeting, recorded once, and the plan's phone
bridge said instead while there is none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incident.errors import InvalidValue
from incident.model import Incident, TimelineEvent
from incident.people import Person
from incident.policy import OrganisationPolicy

BRIDGE_OPENED = "bridge_opened"
BRIDGE_ACTOR = Person(id="devopsbot-bridge", name="devopsbot (meeting bridge)")
MAX_JOIN_URL = 2048
_PHONE_WORDS = ("phone", "bridge", "téléphone", "pont")
# What a join link may hold: an address's characters, without the brackets and parentheses that would end a
# markdown link around it (Graph percent-encodes everything else).
_URL_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#@!$&'*+,;=%")


@dataclass(frozen=True)
class RecordBridge:
    """Store the join link of the meeting opened for the incident (services/bridge.py opens it)."""

    incident_id: str
    join_url: str


def record_bridge(incident: Incident, cmd: RecordBridge, *, at: datetime) -> TimelineEvent | None:
    """The first link stays: a second one records nothing (the same meeting told twice, or a race)."""
    if incident.bridge:
        return None
    url = cmd.join_url.strip()
    if not url.startswith("https://") or len(url) > MAX_JOIN_URL or not set(url) <= _URL_CHARACTERS:
        raise InvalidValue("bridge", "a meeting's join link is an https:// address of at most 2048 characters")
    incident.bridge = url
    return incident.record(BRIDGE_ACTOR, at, BRIDGE_OPENED, "Meeting bridge opened", after={"url": url})


def wants_bridge(incident: Incident, policy: OrganisationPolicy) -> bool:
    """Whether the incident's severity opens a meeting on declaration (``bridge`` in the organisation file)."""
    return policy.severity(incident.severity).bridge


def phone_bridge(incident: Incident, policy: OrganisationPolicy) -> str:
    """The response plan's phone bridge (the first backup method that names a phone or a bridge); "" if none."""
    methods = policy.incident_type(incident.type).response_plan.communication.backup_methods
    return next((m for m in methods if any(word in m.casefold() for word in _PHONE_WORDS)), "")
