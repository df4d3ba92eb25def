"""The weekly digest as an Adaptive Card for the leadership channel."""

from __future__ import annotations

from typing import Any

from adapters.templates import markdown_escape, render_card
from services.digest import Digest


def digest_card(digest: Digest, *, dashboard_url: str, chart_url: str = "",
                chart_description: str = "") -> dict[str, Any]:
    """Figures as facts, past-due follow-ups by owner, the chart (when reachable over HTTPS) and a link to
    the dashboard. Every person-typed text is Markdown-escaped."""
    facts = [{"title": label, "value": markdown_escape(value)} for label, value in digest.figures]
    lines: list[str] = []
    for group in digest.past_due:
        items = "; ".join(
            f"{f.incident_id} #{f.number} {markdown_escape(f.title)} ({digest.days_late(f)} d late)"
            for f in group.follow_ups)
        lines.append(f"**{markdown_escape(group.owner.name)}**: {items}")
    if not lines:
        lines.append("None: every follow-up is on time.")
    heading = f"Weekly incident digest, week of {digest.now:%Y-%m-%d}"
    actions = [{"type": "Action.OpenUrl", "title": "Open the dashboard", "url": dashboard_url}]
    return render_card("digest", heading=heading, facts=facts, past_due_label="Past-due follow-ups by owner",
                       past_due=lines, chart_url=chart_url, chart_description=chart_description, actions=actions)
