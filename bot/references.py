"""Conversation references as the conversations repository stores them (plain dicts), and whose tenant
an activity comes from."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, ConversationReference


def reference_to_dict(reference: ConversationReference) -> dict[str, Any]:
    return dict(reference.serialize())


def reference_from_dict(data: dict[str, Any]) -> ConversationReference:
    return ConversationReference().deserialize(data)


def tenant_of(activity: Activity) -> str:
    """The Entra tenant an activity comes from (Teams says it in channelData; botbuilder's conversation
    account reads a different key)."""
    if activity.conversation is not None and activity.conversation.tenant_id:
        return str(activity.conversation.tenant_id)
    tenant = (activity.channel_data or {}).get("tenant", {}) if isinstance(activity.channel_data, dict) else {}
    return str(tenant.get("id", ""))
