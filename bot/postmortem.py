"""The postmortem in Teams: the ``postmortem`` command and its card (sections, contributing factors with
blameless prompts, follow-ups), whose Action.Execute buttons save, add follow-ups, complete and close.

Anyone in the incident may look; the handlers let only the postmortem's owner and those who manage the
incident change it (a follow-up's owner may mark it done), and only incident admins override a close.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Annotated, Any

from botbuilder.core import TurnContext
from pydantic import Field

from adapters.templates import markdown_escape, render_card
from bot.actions import choice_input, execute, show_card, text_input
from bot.card_times import card_date_time
from bot.locale import Translator
from bot.submissions import IncidentAction, Text, parse_payload
from bot.turns import Answer, Turns, actor_of
from bot.views import cut
from incident import postmortem_commands as pc
from incident.errors import InvalidValue
from incident.model import Incident, Person
from incident.postmortem import BLAMELESS_PROMPTS, SECTIONS
from incident.postmortem_merge import FACTORS, merge, shown_fingerprints

MAX_CARD_BYTES = 27_000  # Teams refuses cards over 28 KB
MAX_LISTED = 15  # follow-ups listed on the card
SHORT = 300  # characters of a section shown when the postmortem is too long to edit in Teams


class SaveAction(IncidentAction):
    summary: Text | None = None
    impact: Text | None = None
    went_well: Text | None = None
    went_wrong: Text | None = None
    got_lucky: Text | None = None
    contributing_factors: Annotated[str, Field(max_length=20000)] | None = None
    # Fingerprints of the fields as the card showed them (absent on cards posted before they existed).
    shown: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=40)]] | None = Field(
        default=None, max_length=len(SECTIONS) + 1)


class FollowUpAction(IncidentAction):
    followup_title: Annotated[str, Field(max_length=200)] = ""
    followup_owner: Annotated[str, Field(max_length=200)] = ""
    followup_due: Annotated[str, Field(max_length=10)] = ""
    followup_link: Annotated[str, Field(max_length=2000)] = ""


class FollowUpDoneAction(IncidentAction):
    number: Annotated[int, Field(ge=1, le=999)]


class CloseAction(IncidentAction):
    override_reason: Text = ""


def people_of(incident: Incident, viewer: Person | None) -> dict[str, Person]:
    """Who may own a follow-up, by id: the incident's people, the postmortem's owner, and the viewer."""
    found = [incident.declared_by, *incident.roles.values(), *incident.invitees]
    if incident.postmortem is not None:
        found.append(incident.postmortem.owner)
    if viewer is not None:
        found.append(viewer)
    return {p.id: p for p in found}


def postmortem_card(incident: Incident, t: Translator, viewer: Person | None = None, *,
                    notice: str = "") -> dict[str, Any]:
    """The card; a postmortem too long for Teams' 28 KB shows its sections read-only, cut short."""
    card = _postmortem_card(incident, t, viewer, notice=notice, editable=True)
    if len(json.dumps(card).encode()) > MAX_CARD_BYTES:
        card = _postmortem_card(incident, t, viewer, notice=t("postmortem.too_long", id=incident.id), editable=False)
    return card


def _postmortem_card(incident: Incident, t: Translator, viewer: Person | None, *, notice: str,
                     editable: bool) -> dict[str, Any]:
    pm = incident.postmortem
    if pm is None:
        raise InvalidValue("postmortem", f"{incident.id} has no postmortem (not required, or not resolved yet)")
    ref = {"incident_id": incident.id}
    state = t("postmortem.completed") if pm.is_complete else t("postmortem.in_progress")
    facts = [{"title": t("postmortem.owner"), "value": markdown_escape(pm.owner.name)},
             # An instant in the reader's own zone and language, as on the incident card (bot/card_times.py).
             {"title": t("postmortem.due"), "value": card_date_time(pm.due_at)},
             {"title": t("postmortem.state"), "value": state},
             {"title": t("postmortem.status"), "value": t(f"status.{incident.status.value}")}]
    fields: list[dict[str, Any]] = []
    editing = editable and not pm.is_complete
    for key in SECTIONS:
        label = t(f"postmortem.section.{key}")
        if not editing:
            shown = pm.section(key) if editable else cut(pm.section(key), SHORT, "")
            fields.append({"type": "TextBlock", "text": f"**{label}:** {markdown_escape(shown)}", "wrap": True})
        else:
            fields.append(text_input(key, label, value=pm.section(key), multiline=True))
    factors = "\n".join(pm.contributing_factors)
    if not editing:
        shown = factors if editable else cut(factors, SHORT, "")
        fields.append({"type": "TextBlock", "text": f"**{t('postmortem.factors')}:** {markdown_escape(shown)}",
                       "wrap": True})
    else:
        fields.append(text_input(FACTORS, t("postmortem.factors"), value=factors, multiline=True,
                                 placeholder=t("postmortem.factors_hint"), max_length=20000))
    follow_ups: list[dict[str, Any]] = []
    # Open ones first; past the first few the document lists them (a card holds 28 KB).
    listed = sorted(incident.follow_ups, key=lambda f: (f.is_done, f.number))[:MAX_LISTED]
    for f in listed:
        state = t("postmortem.done") if f.is_done else t("postmortem.open")
        where = f" [{t('postmortem.tracker')}]({f.tracker_url})" if f.tracker_url else ""
        line = (f"#{f.number} {markdown_escape(f.title)} ({markdown_escape(f.owner.name)}, "
                f"{t('postmortem.due').lower()} {f.due_at:%Y-%m-%d}, {state}){where}")
        follow_ups.append({"type": "TextBlock", "text": line, "wrap": True})
        if not f.is_done:
            follow_ups.append({"type": "ActionSet", "actions": [
                execute(t("postmortem.mark_done", number=f.number), "postmortem.followup_done",
                        {**ref, "number": f.number})]})
    if len(incident.follow_ups) > len(listed):
        more = t("postmortem.more", count=len(incident.follow_ups) - len(listed))
        follow_ups.append({"type": "TextBlock", "text": more, "isSubtle": True, "wrap": True})
    if not incident.follow_ups:
        follow_ups.append({"type": "TextBlock", "text": t("postmortem.no_follow_ups"), "isSubtle": True,
                           "wrap": True})
    owners = [(p.id, p.name) for p in people_of(incident, viewer).values()]
    add = show_card(t("postmortem.add_follow_up"), [
        text_input("followup_title", t("postmortem.follow_up_title"), max_length=200, required=True,
                   error_message=t("postmortem.follow_up_title.required")),
        choice_input("followup_owner", t("postmortem.follow_up_owner"), owners, value=owners[0][0], required=True,
                     error_message=t("postmortem.follow_up_owner.required")),
        {"type": "Input.Date", "id": "followup_due", "label": t("postmortem.follow_up_due")},
        text_input("followup_link", t("postmortem.follow_up_link"), placeholder="https://", max_length=2000),
    ], [execute(t("postmortem.add"), "postmortem.followup", ref, style="positive")])
    close = show_card(t("postmortem.close"), [
        text_input("override_reason", t("postmortem.override"), multiline=True)],
        [execute(t("postmortem.close"), "postmortem.close", ref, style="destructive")])
    saved = {**ref, "shown": shown_fingerprints(pm)}
    actions = [] if not editing else [execute(t("postmortem.save"), "postmortem.save", saved, style="positive"),
                                         execute(t("postmortem.complete"), "postmortem.complete", ref)]
    return render_card(
        "postmortem", heading=t("postmortem.heading", id=incident.id, title=incident.title), notice=notice,
        facts=facts, prompts_label=t("postmortem.prompts"), prompts=list(BLAMELESS_PROMPTS), fields=fields,
        follow_ups_label=t("postmortem.follow_ups"), follow_ups=follow_ups,
        actions=[*actions, add, close])


def _due(text: str) -> datetime | None:
    """The card's date input (YYYY-MM-DD) as the end of that day, UTC; empty: the severity's default."""
    if not text:
        return None
    try:
        return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(23, 59), tzinfo=UTC)
    except ValueError:
        raise InvalidValue("due date", f"'{text}' is not a date like 2026-12-31") from None


class PostmortemTeams:
    """The postmortem's command and card actions, for the verb table (bot/verb_table.py)."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns

    async def _answer(self, turn_context: TurnContext, incident: Incident, t: Translator, *,
                      notice: str = "") -> Answer:
        viewer = actor_of(turn_context)
        # A security incident's postmortem is for its people (its owner among them: incident/access.py).
        if not incident.may_see(viewer, self.turns.deps.policy.admins):
            return Answer(text=t("list.private"))
        if incident.postmortem is None:  # closed by an override before any postmortem: say so plainly
            return Answer(text=t("postmortem.none", id=incident.id))
        return Answer(card=postmortem_card(incident, t, viewer, notice=notice))

    async def show(self, turn_context: TurnContext, arguments: str, t: Translator) -> Answer:
        async def act(incident: Incident, rest: str) -> Answer:
            return await self._answer(turn_context, incident, t)

        return await self.turns.with_incident(turn_context, arguments, t, act)

    async def _run(self, turn_context: TurnContext, command: Any, t: Translator) -> Answer:
        incident = await self.turns.bus.handle(command)
        return await self._answer(turn_context, incident, t)

    async def save(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(SaveAction, data)
        submitted = {key: value for key in [*SECTIONS, FACTORS] if (value := getattr(payload, key)) is not None}
        incident = await self.turns.deps.incidents.get(payload.incident_id.upper())
        refused: tuple[str, ...] = ()
        if incident.postmortem is not None:  # otherwise the command says there is none
            submitted, refused = merge(incident.postmortem, submitted, payload.shown)
        factors = None if FACTORS not in submitted else tuple(submitted.pop(FACTORS).splitlines())
        if submitted or factors is not None or payload.shown is None:
            expected = {key: payload.shown[key] for key in [*submitted, *([FACTORS] if factors is not None else [])]
                        if key in payload.shown} if payload.shown else {}
            incident = await self.turns.bus.handle(pc.EditPostmortem(
                incident.id, actor_of(turn_context), submitted, factors, expected=expected))
        notice = ""
        if refused:
            names = ", ".join(t("postmortem.factors") if k == FACTORS else t(f"postmortem.section.{k}")
                              for k in refused)
            notice = t("postmortem.conflict", sections=names)
        return await self._answer(turn_context, incident, t, notice=notice)

    async def add_follow_up(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(FollowUpAction, data)
        actor = actor_of(turn_context)
        incident = await self.turns.deps.incidents.get(payload.incident_id.upper())
        owner = people_of(incident, actor).get(payload.followup_owner)
        if owner is None:
            return Answer(text=t("reply.mention_someone"))
        return await self._run(turn_context, pc.AddFollowUp(
            incident.id, payload.followup_title, owner, actor, due_at=_due(payload.followup_due),
            link=payload.followup_link), t)

    async def follow_up_done(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(FollowUpDoneAction, data)
        return await self._run(turn_context, pc.CompleteFollowUp(
            payload.incident_id.upper(), payload.number, actor_of(turn_context)), t)

    async def complete(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(IncidentAction, data)
        return await self._run(turn_context, pc.CompletePostmortem(payload.incident_id.upper(),
                                                                   actor_of(turn_context)), t)

    async def close(self, turn_context: TurnContext, data: dict[str, Any], t: Translator) -> Answer:
        payload = parse_payload(CloseAction, data)
        return await self._run(turn_context, pc.CloseIncident(
            payload.incident_id.upper(), actor_of(turn_context), payload.override_reason), t)
