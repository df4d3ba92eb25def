"""Cards for incidents, built from the stored incident in the reader's language."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.templates import markdown_escape, render_card
from bot.actions import choice_input, error_text, execute, show_card, text_input, toggle_input
from bot.bridge_card import bridge_actions, bridge_facts
from bot.card_colours import URGENT, heading_colour
from bot.card_times import card_date, card_date_time
from bot.effort import effort_facts
from bot.locale import Translator
from bot.task_views import resolve_task_fields, task_items
from incident.lifecycle import PROGRESS, Status
from incident.model import Incident, Person
from incident.playbook import version_link
from incident.policy import OrganisationPolicy
from incident.public_face import MAX_PUBLIC_TEXT

MAX_CARD_TEXT = 1500  # long text is cut so a card stays far below Teams' 28 KB
MAX_MENTION_NAME = 64  # characters of a name inside <at>…</at>; the rest is cut
MAX_ROW = 5  # actions a row may hold: the adaptivecards library and Teams' hosts cut the rest


def cut(text: str, limit: int, pointer: str) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "… " + pointer


@dataclass(frozen=True)
class Member:
    """Someone who can be picked on a card: the conversation's members."""

    id: str
    name: str
    email: str = ""
    aad_id: str = ""

    def person(self) -> Person:
        return Person(self.id, self.name, self.email, self.aad_id)


def _facts(incident: Incident, policy: OrganisationPolicy, t: Translator) -> list[dict[str, str]]:
    more = t("incident.more", id=incident.id)
    facts = [
        {"title": t("incident.status"), "value": t(f"status.{incident.status.value}")},
        {"title": t("incident.severity"), "value": incident.severity},
        {"title": t("incident.type"), "value": policy.incident_type(incident.type).name},
    ]
    for role in policy.roles:
        holder = incident.roles.get(role.key)
        if holder or role.key == "commander":
            facts.append({"title": role.name, "value": holder.name if holder else t("incident.nobody")})
    # Instants as DATE()/TIME() functions: each reader's Teams writes them in their own zone (bot/card_times.py).
    facts.append({"title": t("incident.declared"), "value": t(
        "incident.declared_value", when=card_date_time(incident.declared_at), who=incident.declared_by.name)})
    acknowledged = (t("incident.acknowledged_value", who=incident.acknowledged_by.name,
                      when=card_date_time(incident.acknowledged_at))
                    if incident.acknowledged_at and incident.acknowledged_by else t("incident.not_acknowledged"))
    facts.append({"title": t("incident.acknowledged"), "value": acknowledged})
    facts.append({"title": t("incident.last_update"),
                  "value": cut(incident.last_update, MAX_CARD_TEXT, more) or t("incident.no_update")})
    if incident.services:
        facts.append({"title": t("incident.services"), "value": ", ".join(incident.services)})
    if incident.resolution:
        facts.append({"title": t("incident.resolution"), "value": cut(incident.resolution, MAX_CARD_TEXT, more)})
    facts.extend(_what_next(incident, policy, t))
    return facts


def _what_next(incident: Incident, policy: OrganisationPolicy, t: Translator) -> list[dict[str, str]]:
    """While active, when the next update is due; once resolved, the postmortem (its owner and due date) or
    that none is required; nothing once closed."""
    due = incident.next_status_reminder(policy)
    if due is not None:
        return [{"title": t("incident.next_update"), "value": card_date_time(due)}]
    if incident.status is Status.CLOSED:
        return []
    postmortem = incident.postmortem
    if postmortem is None:
        return [{"title": t("incident.next"), "value": t("incident.next_no_postmortem")}]
    if postmortem.is_complete:
        return [{"title": t("incident.next"), "value": t("incident.next_close")}]
    return [{"title": t("incident.next"), "value": t("incident.next_postmortem", owner=postmortem.owner.name,
                                                     due=card_date(postmortem.due_at))}]


def _heading(incident: Incident, t: Translator) -> str:
    return t("announce.heading", id=incident.id, severity=incident.severity,
             status=t(f"status.{incident.status.value}")) + f" — {incident.title}"


def _known_people(incident: Incident, members: list[Member]) -> list[tuple[str, str]]:
    """The people the incident already knows, to pick from; anyone else is named with an @mention."""
    known = {m.id: m.name for m in members}
    for person in (incident.declared_by, *incident.roles.values(), *incident.invitees,
                   *(task.owner for task in incident.tasks)):
        known.setdefault(person.id, person.name)
    return sorted(known.items(), key=lambda p: p[1].casefold())


def _incident_actions(incident: Incident, policy: OrganisationPolicy, t: Translator,
                      members: list[Member]) -> list[dict[str, Any]]:
    """Everyone may acknowledge, post updates and assign roles: the card's own buttons."""
    if not incident.status.is_active:
        return []
    data = {"incident_id": incident.id}
    send = t("action.send")
    role_choices = [(r.key, r.name) for r in policy.roles]
    people = _known_people(incident, members)
    everyone = [
        *([execute(t("action.ack"), "incident.ack", data)] if incident.acknowledged_at is None else []),
        update_action(incident, t),
        show_card(t("action.assign"), [
            choice_input("role", t("action.assign.role"), role_choices, value="commander", required=True,
                         error_message=t("action.assign.role.required")),
            choice_input("person", t("action.assign.person"), people, required=True,
                         error_message=t("action.assign.person.required"))],
            [execute(send, "incident.assign", data)]),
    ]
    return everyone


def _manager_tools(incident: Incident, policy: OrganisationPolicy, t: Translator) -> list[dict[str, Any]]:
    """Status, severity, resolve and the risk assessment, for those who may manage the incident (their own view
    of the card, through Teams' refresh). A row of their own below the facts: with the card's buttons they would
    pass the five actions a row may hold (the adaptivecards library's and Teams' hosts cut the rest)."""
    if not incident.status.is_active:
        return []
    data = {"incident_id": incident.id}
    # The statuses the commander moves the incident to by hand, the current one left out.
    moves = [execute(t(f"status.{s.value}"), "incident.status", {**data, "status": s.value})
             for s in PROGRESS if s is not incident.status]
    return [
        show_card(t("action.status"), [{"type": "TextBlock", "text": t("action.status.intro"), "wrap": True}], moves),
        show_card(t("action.severity"), [
            choice_input("severity", t("incident.severity"), [(s.name, f"{s.name} — {s.description}")
                                                              for s in policy.severities], value=incident.severity),
            text_input("reason", t("action.severity.reason"), max_length=500)],
            [execute(t("action.send"), "incident.severity", data)]),
        execute(t("action.resolve"), "incident.resolve_form", data, style="positive"),
        execute(t("action.assess"), "assessment.request", data),  # the role holders, independently (bot/assessment.py)
    ]


def update_action(incident: Incident, t: Translator) -> dict[str, Any]:
    """"Post update": the text, required, and Send."""
    return show_card(t("action.update"), [text_input("text", t("action.update"), multiline=True, required=True,
                                                     placeholder=t("action.update.placeholder"),
                                                     error_message=t("action.update.required"))],
                     [execute(t("action.send"), "incident.update", {"incident_id": incident.id})])


def incident_card(incident: Incident, policy: OrganisationPolicy, t: Translator, now: datetime,
                  members: list[Member], *, manage: bool = False) -> dict[str, Any]:
    """The card in the incident's space: everything at a glance, and the buttons to act. Posted in the
    everyone view; Teams asks for the managers' view (``manage``) for the commander and the deputy."""
    severity = policy.severity(incident.severity)
    more = t("incident.more", id=incident.id)
    managers = [p.id for role in ("commander", "deputy") if (p := incident.roles.get(role))]
    refresh = ({"action": execute("", "incident.refresh", {"incident_id": incident.id}), "userIds": managers}
               if managers and incident.status.is_active else None)
    return render_card(
        "incident", heading=_heading(incident, t), fallback=_heading(incident, t),
        colour=heading_colour(severity.rank, incident.status.is_active),
        summary=cut(incident.summary, MAX_CARD_TEXT, more),
        facts=_facts(incident, policy, t) + effort_facts(incident, policy, t) + bridge_facts(incident, policy, t),
        # The join link first, then the card's own buttons, then playbooks while the row has room (five at most).
        actions=(bridge_actions(incident, t, button=False) + _incident_actions(incident, policy, t, members)
                 + _playbook_links(incident, policy, t))[:MAX_ROW],
        tools=_manager_tools(incident, policy, t) + _open_bridge(incident, t) if manage else [], refresh=refresh,
        tasks=task_items(incident, policy, t, now, _known_people(incident, members)))


def _open_bridge(incident: Incident, t: Translator) -> list[dict[str, Any]]:
    """"Open a bridge" in the managers' row while the incident has no meeting (the join link is on the card)."""
    return [] if incident.bridge else bridge_actions(incident, t, button=True)


def _playbook_links(incident: Incident, policy: OrganisationPolicy, t: Translator) -> list[dict[str, Any]]:
    """A button per service opening the approved playbook version attached at declaration (a service
    without one was flagged then); at most two, so the card keeps its own buttons in view."""
    return [{"type": "Action.OpenUrl", "title": f"{t('incident.playbook')}: {service} v{version}", "url": link}
            for service, version in incident.playbooks[:2]
            if (link := version_link(policy.playbooks, service, version))]


def announcement_card(incident: Incident, policy: OrganisationPolicy, t: Translator, now: datetime) -> dict[str, Any]:
    """The broadcast card: the same facts, no buttons; a security incident's shows no details."""
    if incident.private:
        heading = t("announce.heading", id=incident.id, severity=incident.severity,
                    status=t(f"status.{incident.status.value}"))
        return render_card("incident", heading=heading, fallback=heading, colour=URGENT,
                           summary=t("announce.private"), facts=[], actions=[], tools=[], refresh=None)
    severity = policy.severity(incident.severity)
    return render_card(
        "incident", heading=_heading(incident, t), fallback=_heading(incident, t),
        colour=heading_colour(severity.rank, incident.status.is_active),
        summary=cut(incident.summary, MAX_CARD_TEXT, t("incident.more", id=incident.id)),
        facts=_facts(incident, policy, t) + bridge_facts(incident, policy, t),
        actions=bridge_actions(incident, t, button=False), tools=[], refresh=None)


def plan_card(incident: Incident, policy: OrganisationPolicy, t: Translator) -> dict[str, Any]:
    kind = policy.incident_type(incident.type)
    roles = {r.key: r.name for r in policy.roles}
    steps = [{"done": index in incident.plan_done,
              "text": t("plan.step", title=step.title, owner=roles.get(step.owner_role, step.owner_role),
                        minutes=int(step.due_after.total_seconds() // 60)),
              "action": execute(t("plan.done"), "plan.tick", {"incident_id": incident.id, "step": index})
              if incident.status.is_open else None}
             for index, step in enumerate(kind.response_plan.steps)]
    communication = kind.response_plan.communication
    return render_card("plan", heading=t("plan.heading", type=kind.name), steps=steps,
                       communication=t("plan.communication", primary=communication.primary_channel,
                                       backup="; ".join(communication.backup_methods)))


def resolve_card(incident: Incident, policy: OrganisationPolicy, t: Translator, *,
                 values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                 notice: str = "", standalone: bool = False) -> dict[str, Any]:
    """The exit criteria as a checklist, the resolution, and an override reason for unmet criteria. A
    ``standalone`` form (a message of its own) becomes a short notice once resolved, not a second incident card."""
    data: dict[str, Any] = {"incident_id": incident.id, **({"standalone": True} if standalone else {})}
    values, errors = values or {}, errors or {}
    met = set(values.get("criteria_met", ()))
    fields: list[dict[str, Any]] = [
        toggle_input(f"criterion_{c.key}", c.text, value=c.key in met)
        for c in policy.incident_type(incident.type).exit_criteria]
    for name, label, required in (("resolution", t("resolve.resolution"), True),
                                  ("override_reason", t("resolve.override"), False)):
        fields.append(text_input(name, label, value=str(values.get(name, "")), multiline=True, required=required,
                                 error_message=t("resolve.resolution.required") if required else ""))
        if name in errors:
            fields.append(error_text(errors[name]))
    if incident.public.published and not incident.private:  # closing the loop: the page says it is over
        fields.append(text_input("final_public_update", t("resolve.final_update"), multiline=True,
                                 value=str(values.get("final_public_update", policy.status_page.final_update)),
                                 max_length=MAX_PUBLIC_TEXT))
        if "final_public_update" in errors:
            fields.append(error_text(errors["final_public_update"]))
    fields += resolve_task_fields(incident, t, values)  # each open task: carried over or dropped, never lost
    return render_card(
        "resolve", heading=t("resolve.heading", id=incident.id), notice=notice,
        criteria_label=t("resolve.criteria"), fields=fields,
        actions=[execute(t("resolve.submit"), "incident.resolve", data, style="positive")])


def mention_name(person: Person) -> str:
    """The name an @mention shows: on one line, at most MAX_MENTION_NAME characters (the id if unnamed)."""
    return (" ".join(person.name.split()) or person.id)[:MAX_MENTION_NAME]


def mention_text(person: Person, *, card: bool = False) -> str:
    """``<at>name</at>`` for ``person``, the name cut and escaped for where it goes (Markdown in a card, HTML in
    a message), so no name can close the tag early or swell the message. The mention's entity carries this
    same text: Teams refuses a mention whose text is not in the message."""
    name = mention_name(person)
    return f"<at>{markdown_escape(name) if card else html.escape(name, quote=False)}</at>"


def mention_entity(person: Person) -> dict[str, Any]:
    """A card's mention entity; the card's text carries ``mention_text(person, card=True)``."""
    return {"type": "mention", "text": mention_text(person, card=True),
            "mentioned": {"id": person.id, "name": mention_name(person)}}


def reminder_card(incident: Incident, policy: OrganisationPolicy, t: Translator) -> dict[str, Any]:
    """The commander's nudge: post an update, snooze, or resolve, without leaving the message."""
    commander = incident.holder("commander")
    effort = policy.effort(incident.severity, incident.priority)
    data = {"incident_id": incident.id}
    who = mention_text(commander, card=True) if commander else t("incident.nobody")
    text = t("reminder.text", commander=who, id=incident.id, severity=incident.severity,
             minutes=int(effort.update_cadence.total_seconds() // 60))
    actions = [
        update_action(incident, t),
        *(execute(t("reminder.snooze", minutes=m), "incident.snooze", {**data, "minutes": m}) for m in (30, 60)),
        execute(t("action.resolve"), "incident.resolve_form", {**data, "standalone": True}, style="positive"),
    ]
    heading = t("reminder.heading", id=incident.id)
    colour = heading_colour(policy.severity(incident.severity).rank, incident.status.is_active)
    return render_card("reminder", heading=heading, fallback=heading, colour=colour, text=text, actions=actions,
                       mentions=[mention_entity(commander)] if commander else [])


def notice_card(text: str) -> dict[str, Any]:
    """A card that only says something: what a finished form turns into."""
    return render_card("notice", text=text)
