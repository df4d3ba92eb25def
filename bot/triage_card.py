"""The triage card of an alert (services.alert_triage): what fired, and Declare / Attach / Dismiss until someone
decides or the deadline does; then what happened and who decided, without buttons."""

from __future__ import annotations

from typing import Any

from adapters.templates import markdown_escape, render_card
from bot.actions import execute
from bot.card_times import card_date_time
from bot.locale import Translator
from services.triage_ports import TriageCard

MAX_LINKS = 5


def _status(card: TriageCard, t: Translator) -> str:
    if not card.decision:
        return t(f"triage.until_{card.after_deadline}", when=card_date_time(card.deadline))
    how = "by" if card.decided_by else "auto"
    return t(f"triage.{card.decision}_{how}" if card.decision in ("declared", "attached", "dismissed")
             else f"triage.{card.decision}", id=card.incident_id, who=markdown_escape(card.decided_by))


def triage_card(card: TriageCard, t: Translator) -> dict[str, Any]:
    summary = markdown_escape(card.summary)
    facts = [{"title": t("triage.source"), "value": card.source},
             {"title": t("triage.service"), "value": markdown_escape(card.service) or t("triage.no_service")},
             {"title": t("triage.severity"), "value": card.severity},
             {"title": t("triage.count"), "value": t("triage.times", count=card.count)}]
    links = " · ".join(f"[{t('triage.link', n=n)}]({link})" for n, link in enumerate(card.links[:MAX_LINKS], 1)
                       if link.startswith(("https://", "http://")) and ")" not in link and " " not in link)
    data = {"signal": card.signal_key}
    actions: list[dict[str, Any]] = []
    choices: list[dict[str, str]] = []
    if not card.decision:
        choices = [{"title": f"{incident_id} {title}"[:120], "value": incident_id}
                   for incident_id, title in card.open_incidents]
        actions = [execute(t("triage.declare"), "triage.declare", data, style="positive"),
                   *([execute(t("triage.attach"), "triage.attach", data)] if choices else []),
                   execute(t("triage.dismiss"), "triage.dismiss", data)]
    heading = t("triage.heading", severity=card.severity, summary=summary)
    return render_card("triage", heading=heading, fallback=heading, colour="Attention" if not card.decision
                       else "Default", summary=t("triage.intro", source=card.source), facts=facts,
                       status=_status(card, t), links=links, choices=choices, choose=t("triage.choose"),
                       actions=actions)
