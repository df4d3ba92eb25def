"""The meeting bridge on the incident's cards: "Join the bridge" once there is a meeting; until then a
button that opens one, and the response plan's phone bridge for a severity that expects a bridge."""

from __future__ import annotations

from typing import Any

from bot.actions import execute
from bot.locale import Translator
from incident.bridge import phone_bridge, wants_bridge
from incident.model import Incident
from incident.policy import OrganisationPolicy

BRIDGE_VERB = "incident.bridge"


def bridge_actions(incident: Incident, t: Translator, *, button: bool) -> list[dict[str, Any]]:
    """The join link; else, on the managers' view of an active incident (``button``), "Open a bridge"."""
    if incident.bridge:
        return [{"type": "Action.OpenUrl", "title": t("bridge.join"), "url": incident.bridge}]
    if button and incident.status.is_active:
        return [execute(t("action.bridge"), BRIDGE_VERB, {"incident_id": incident.id})]
    return []


def bridge_facts(incident: Incident, policy: OrganisationPolicy, t: Translator) -> list[dict[str, str]]:
    """The plan's phone bridge while a severity that expects a meeting has none (not configured, refused,
    not answered, or not opened yet)."""
    if incident.bridge or not wants_bridge(incident, policy) or not incident.status.is_active:
        return []
    phone, title = phone_bridge(incident, policy), t("bridge.phone")
    label, colon, number = phone.partition(":")
    if colon and label.strip().casefold() == title.casefold():  # "Phone bridge: +1 555 ..." under "Phone bridge"
        phone = number.strip()
    return [{"title": title, "value": phone}] if phone else []
