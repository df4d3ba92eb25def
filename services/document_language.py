"""The incident document in English or French: the words of its templates, and its generated sentences
(section headings, prompts, states, the timeline's generated event texts) in the chosen language.

What people typed (titles, notes, updates, reasons) is shown as typed; only devopsbot's own words change."""

from __future__ import annotations

from collections.abc import Callable

from incident.model import TimelineEvent

LANGUAGES = ("en", "fr")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "generated": "Incident document generated", "blameless": "Blameless: it describes conditions and systems, "
        "not people.", "severity": "Severity", "priority": "Priority", "not_set": "not set", "type": "Type",
        "status": "Status", "services": "Services", "none_named": "none named", "bridge": "Bridge",
        "join_meeting": "Join the Teams meeting", "declared": "Declared", "by": "by", "time_to_resolve":
        "Time to resolve", "postmortem": "Postmortem", "owner": "owner", "due": "due", "not_written":
        "Not written yet.", "key_events": "Key events", "no_key_event": "No key event was marked.",
        "key_event_hint": "(In Teams: `note! <text>`, `pin <n>`, or the message action's key event switch.)",
        "severity_history": "Severity and priority history", "when_utc": "When (UTC)", "local_time": "Local time",
        "who": "Who", "change": "Change", "risk_assessments": "Risk assessments", "latest": "Latest:",
        "no_risk": "No risk assessment was recorded.", "roles_over_time": "Roles over time",
        "who_changed": "Who changed it", "roles": "Roles", "none_assigned": "none assigned",
        "response_plan": "Response plan", "step": "step", "done": "done", "exit_criteria":
        "Exit criteria and overrides", "resolved": "Resolved", "met": "Met:", "unmet": "Unmet:", "none": "none",
        "not_resolved": "Not resolved yet.", "override": "Override", "colon": ":", "contributing":
        "Contributing factors", "none_recorded": "None recorded yet.", "prompts":
        "Prompts for a blameless analysis:", "follow_ups": "Follow-ups (priority 1)", "follow_up": "Follow-up",
        "owner_heading": "Owner", "due_utc": "Due (UTC)", "state": "State", "link": "Link", "tracker": "Tracker",
        "notes": "Notes from the conversation", "said_utc": "Said (UTC)", "who_said": "Who said it", "note": "Note",
        "added_by": "Added by", "message": "message", "key_event": "Key event:", "timeline": "Timeline",
        "all_times": "All times in UTC, with local time in", "what": "What",
    },
    "fr": {
        "generated": "Document d'incident généré le", "blameless": "Sans reproche : il décrit des conditions et des "
        "systèmes, pas des personnes.", "severity": "Gravité", "priority": "Priorité", "not_set": "non définie",
        "type": "Type", "status": "Statut", "services": "Services", "none_named": "aucun nommé", "bridge": "Pont",
        "join_meeting": "Rejoindre la réunion Teams", "declared": "Déclaré le", "by": "par", "time_to_resolve":
        "Délai de résolution", "postmortem": "Postmortem", "owner": "responsable", "due": "pour le",
        "not_written": "Pas encore rédigé.", "key_events": "Événements clés", "no_key_event":
        "Aucun événement clé n'a été marqué.", "key_event_hint": "(Dans Teams : `note! <texte>`, `pin <n>`, ou "
        "l'interrupteur « événement clé » de l'action de message.)", "severity_history":
        "Historique de la gravité et de la priorité", "when_utc": "Quand (UTC)", "local_time": "Heure locale",
        "who": "Qui", "change": "Changement", "risk_assessments": "Évaluations des risques", "latest":
        "Dernière :", "no_risk": "Aucune évaluation des risques n'a été enregistrée.", "roles_over_time":
        "Rôles au fil du temps", "who_changed": "Modifié par", "roles": "Rôles", "none_assigned": "aucun attribué",
        "response_plan": "Plan de réponse", "step": "étape", "done": "faite le", "exit_criteria":
        "Critères de sortie et dérogations", "resolved": "Résolu le", "met": "Remplis :", "unmet": "Non remplis :",
        "none": "aucun", "not_resolved": "Pas encore résolu.", "override": "Dérogation le", "colon": " :",
        "contributing": "Facteurs contributifs", "none_recorded": "Aucun pour l'instant.", "prompts":
        "Pistes pour une analyse sans reproche :", "follow_ups": "Actions de suivi (priorité 1)", "follow_up":
        "Action de suivi", "owner_heading": "Responsable", "due_utc": "Échéance (UTC)", "state": "État",
        "link": "Lien", "tracker": "Outil de suivi", "notes": "Notes de la conversation", "said_utc": "Dit (UTC)",
        "who_said": "Qui l'a dit", "note": "Note", "added_by": "Ajoutée par", "message": "message",
        "key_event": "Événement clé :", "timeline": "Chronologie", "all_times":
        "Toutes les heures en UTC, avec l'heure locale de", "what": "Quoi",
    },
}
STATUSES_FR = {"declared": "déclaré", "investigating": "en analyse", "identified": "cause identifiée",
               "monitoring": "sous surveillance", "resolved": "résolu", "postmortem": "postmortem",
               "closed": "clos"}
SECTIONS_FR = {"Summary": "Résumé", "Impact": "Impact", "What went well": "Ce qui a bien marché",
               "What went wrong": "Ce qui a mal tourné", "Where we got lucky": "Où nous avons eu de la chance"}
PROMPTS_FR = (
    "Qu'est-ce qui a rendu la panne possible ? Décrivez des conditions et des systèmes, pas des personnes.",
    "Quels signaux manquaient, sont arrivés tard ou ont induit en erreur ?",
    "Qu'est-ce qui rendait la bonne action difficile à voir ou à prendre sur le moment ?",
    "Quelles hypothèses se sont révélées fausses, et pourquoi étaient-elles raisonnables alors ?",
)
STATES_FR = {"not required": "non requis", "completed": "terminé", "in progress": "en cours", "open": "ouverte",
             "overdue": "en retard", "not resolved": "non résolu"}
DETAILS_FR = {"severity": "gravité", "priority": "priorité", "round": "tour", "likelihood": "probabilité",
              "risk level": "niveau de risque", "proposed severity": "gravité proposée",
              "proposed priority": "priorité proposée", "decision": "décision", "decided severity": "gravité retenue",
              "decided priority": "priorité retenue", "reason": "raison", "open": "ouvert", "met": "remplis",
              "unmet": "non remplis"}


def _status_move(e: TimelineEvent) -> str:
    before, after = e.before.get("status", ""), e.after.get("status", "")
    reason = e.after.get("reason", "")
    return f"{STATUSES_FR.get(before, before)} → {STATUSES_FR.get(after, after)}" + (f" : {reason}" if reason else "")


def _after(key: str, text: str) -> Callable[[TimelineEvent], str]:
    """A sentence with the event's ``after`` values put in (``{owner}`` and the like)."""
    return lambda e: text.format_map({k: v for k, v in e.after.items()} | {"actor": e.actor.name or e.actor.id,
                                                                          "day": e.after.get(key, "")[:10]})


# Event kind → its generated sentence in French, from the event's stored values (never from its English text).
EVENTS_FR: dict[str, Callable[[TimelineEvent], str]] = {
    "acknowledged": _after("", "pris en charge par {acknowledged_by}"),
    "reminders_snoozed": _after("until", "rappels suspendus jusqu'au {until}"),
    "postmortem_opened": _after("due", "postmortem ouvert : {owner} en est responsable, pour le {day}"),
    "postmortem_owner_changed": _after("", "responsable du postmortem : {owner}"),
    "postmortem_edited": _after("", "postmortem : sections rédigées ({sections})"),
    "postmortem_completed": _after("", "postmortem terminé par {actor}"),
    "postmortem_reopened": _after("", "postmortem rouvert : {reason}"),
    "follow_up_added": _after("due", "action de suivi n° {number} ({owner}, pour le {day})"),
    "follow_up_filed": _after("", "action de suivi n° {number} enregistrée : {url}"),
    "follow_up_done": _after("", "action de suivi n° {number} faite"),
    "invited": _after("", "a invité {people}"),
    "bridge_opened": _after("", "Pont de réunion ouvert"),
    "note_pinned": _after("", "note {number} marquée comme événement clé : {text}"),
    "note_unpinned": _after("", "note {number} n'est plus un événement clé : {text}"),
}
PREFIXES_FR = (("Alert resolved (", "Alerte résolue ("), ("Alert (", "Alerte ("))


def event_text(event: TimelineEvent, language: str) -> str:
    """The event's line in the timeline: its generated sentence in ``language``; typed text as typed."""
    if language != "fr":
        return event.summary
    if "status" in event.after and "status" in event.before:
        return _status_move(event)
    sentence = EVENTS_FR.get(event.kind)
    if sentence is not None:
        try:
            return sentence(event)
        except (KeyError, IndexError, ValueError):  # an old record without a value: its stored text
            return event.summary
    for english, french in PREFIXES_FR:
        if event.summary.startswith(english):
            return french + event.summary.removeprefix(english)
    return event.summary


def template_keys(language: str) -> dict[str, str]:
    """The detail keys the document's templates look up by name, as ``detail_key`` wrote them."""
    return {key: detail_key(key, language) for key in ("met", "unmet", "reason")}


def detail_key(key: str, language: str) -> str:
    return DETAILS_FR.get(key, key) if language == "fr" else key


def state_word(state: str, language: str) -> str:
    """A document state (postmortem, follow-up, duration) in ``language``."""
    if language != "fr":
        return state
    return STATES_FR.get(state, "faite" if state == "done" else state)


def section_heading(heading: str, language: str) -> str:
    return SECTIONS_FR.get(heading, heading) if language == "fr" else heading


def words(language: str) -> dict[str, str]:
    return WORDS["fr" if language == "fr" else "en"]


def status_word(status: str, language: str) -> str:
    return STATUSES_FR.get(status, status) if language == "fr" else status
