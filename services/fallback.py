"""Teams first, email when Teams fails: the notifier every reaction and timer talks to.

Each notification is tried in Teams (whose own sends retry with backoff). When it still fails, or
Teams is marked down (an admin's flag, or repeated failures), the same content goes by email to the
people it was for, each with their own action links, and the failure is raised so the Teams send is
retried later and the cards catch up once Teams is back. The email of one notification goes out once
per person, however often the notification is retried: ``DELIVERY_KEY`` names it, and the
idempotency store remembers who was mailed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from incident.errors import DevopsbotError, NotificationFailed
from incident.model import Incident, Person, TimelineEvent
from services.bus import Dependencies
from services.mail_content import incident_view, subject
from services.once import once
from services.outbox import DELIVERY_KEY
from services.people_language import language_for
from services.ports import Alert, Notifier, TeamsStatus
from services.telemetry_ports import EMAIL_FALLBACKS, NOTIFICATIONS, TEAMS_FAILURES, telemetry
from services.tracing_ports import traced

log = logging.getLogger(__name__)

STATUS_CACHE = timedelta(seconds=15)  # an admin's flag set elsewhere is seen this soon
FALLBACK_LEASE = timedelta(minutes=10)  # a mail attempt that crashed may be retried after this
MAX_RECIPIENTS = 500  # Exchange Online's recipients per message; the mailers split larger lists the same way

ALERT_TEXT = {
    "escalated": "The {role} role moved to you: {reason}.",
    "escalation_exhausted": "Nobody acknowledged this incident and the {role} chain is exhausted: please take it.",
    "roles_unfilled": "These required roles are still unfilled: {roles}.",
    "no_delegates": "These required roles have nobody to escalate to: {roles}.",
    "stale": "This incident has been open for {days} days: resolve it or say why it stays open.",
    "plan_step_overdue": "The response plan step \"{step}\" ({role}) was due {minutes} min after the declaration "
                         "and is not ticked yet.",
    "no_playbook": "No approved playbook is attached for {services}.",
    "assessment_revealed": "Risk assessment #{round} is revealed: {level} risk, proposing {severity} and {priority}. "
                           "Accept or override it on the assessment card in Teams.",
    "postmortem_opened": "The blameless postmortem is yours, due {due}.",
    "document_ready": "The postmortem is completed. Incident document: {html} (Markdown: {markdown}).",
    "invited": "{by} invited you to this incident: join its Teams space.",
}
ALERT_TEXT_FR = {
    "escalated": "Le rôle {role} vous revient : {reason}.",
    "escalation_exhausted": "Personne n'a pris en charge cet incident et la chaîne {role} est épuisée : "
                            "merci de le prendre.",
    "roles_unfilled": "Ces rôles obligatoires ne sont toujours pas pourvus : {roles}.",
    "no_delegates": "Ces rôles obligatoires n'ont personne vers qui escalader : {roles}.",
    "stale": "Cet incident est ouvert depuis {days} jours : résolvez-le ou dites pourquoi il reste ouvert.",
    "plan_step_overdue": "L'étape « {step} » du plan de réponse ({role}) était due {minutes} min après la "
                         "déclaration et n'est pas encore cochée.",
    "no_playbook": "Aucune procédure approuvée n'est jointe pour {services}.",
    "assessment_revealed": "L'évaluation des risques n° {round} est révélée : risque {level}, proposant {severity} "
                           "et {priority}. Acceptez-la ou modifiez-la sur la carte d'évaluation dans Teams.",
    "postmortem_opened": "Le postmortem sans reproche vous revient, pour le {due}.",
    "document_ready": "Le postmortem est terminé. Document d'incident : {html} (Markdown : {markdown}).",
    "invited": "{by} vous a invité à cet incident : rejoignez son espace Teams.",
}
NOT_ASSIGNED = {"en": "not yet assigned", "fr": "pas encore attribué"}
NEEDS_ATTENTION = {"en": "This incident needs attention.", "fr": "Cet incident demande votre attention."}


def alert_message(kind: str, values: dict[str, str], language: str) -> str:
    """The sentence an alert mail carries, in ``language`` ("fr", else English)."""
    texts = ALERT_TEXT_FR if language == "fr" else ALERT_TEXT
    fallback = NEEDS_ATTENTION["fr" if language == "fr" else "en"]
    try:
        return texts.get(kind, fallback).format_map(values)
    except (KeyError, IndexError, ValueError):  # a value the text needs is missing: say less, not nothing
        return fallback


@dataclass(frozen=True)
class FallbackMail:
    """The email standing in for one Teams notification."""

    template: str
    what: str  # for the subject: "declared", "status update", ...
    people: tuple[Person, ...]
    values: dict[str, Any] = field(default_factory=dict)
    subject: str = ""  # instead of the usual "[id] SEV what: title"
    subjects: dict[str, str] = field(default_factory=dict)  # ``subject`` in other languages, by language
    # Values whose words depend on the reader's language, by language; they override ``values``.
    in_language: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Tells apart several notifications sent under one DELIVERY_KEY (one timer item's alerts, say), so
    # each reaches its person once instead of the first standing in for all of them.
    distinct: str = ""


class FallbackNotifier:
    def __init__(self, teams: Callable[[], Notifier], dependencies: Callable[[], Dependencies]) -> None:
        """``teams`` builds the Teams notifier when it is first needed; ``dependencies`` are the ones this
        notifier is part of (they hold it), given as a function for that reason."""
        self._teams_factory, self._dependencies = teams, dependencies
        self._status: tuple[datetime, TeamsStatus] | None = None

    @property
    def _teams(self) -> Notifier:
        return self._teams_factory()

    async def incident_declared(self, incident: Incident) -> None:
        deps = self._dependencies()
        commander = incident.holder("commander")
        values = {"kind": deps.policy.incident_type(incident.type).name, "services": list(incident.services),
                  "commander": commander.name if commander else NOT_ASSIGNED["en"], "stakeholder": False,
                  "cadence": int(deps.policy.effort(incident.severity, incident.priority).update_cadence.total_seconds()
                              // 60)}
        nobody = {} if commander else {lang: {"commander": text} for lang, text in NOT_ASSIGNED.items()}
        await self._deliver(incident, lambda: self._teams.incident_declared(incident),
                            FallbackMail("declared", "declared", _people_of(incident), values, in_language=nobody))

    async def incident_changed(self, incident: Incident, events: Sequence[TimelineEvent]) -> None:
        values = {"changes": [e.summary for e in events], "stakeholder": False}
        await self._deliver(incident, lambda: self._teams.incident_changed(incident, events),
                            FallbackMail("status_update", "status update", _people_of(incident), values))

    async def incident_resolved(self, incident: Incident) -> None:
        await self._deliver(incident, lambda: self._teams.incident_resolved(incident),
                            FallbackMail("resolved", "resolved", _people_of(incident), resolved_values(incident)))

    async def remind(self, incident: Incident) -> None:
        deps = self._dependencies()
        commander = incident.holder("commander")
        since = deps.clock.now() - (incident.last_update_at or incident.declared_at)
        values = {"commander": commander.name if commander else "Commander", "since": _duration(since),
                  "cadence": int(deps.policy.effort(incident.severity, incident.priority).update_cadence.total_seconds()
                              // 60)}
        await self._deliver(incident, lambda: self._teams.remind(incident),
                            FallbackMail("reminder", "status update due", (commander,) if commander else (), values,
                                         in_language={} if commander else {"fr": {"commander": "Responsable"}}))

    async def alert(self, incident: Incident, alert: Alert) -> None:
        people = alert.people or tuple(p for p in (incident.holder("commander"),) if p)
        if alert.kind == "escalated":
            mail = FallbackMail("escalated", "escalated", people, {"role": alert.values.get("role", ""),
                                "reason": alert.values.get("reason", ""), "previous": alert.values.get("previous", "")})
        else:
            message = alert_message(alert.kind, dict(alert.values), "en")
            digest = hashlib.sha256(f"{alert.kind}\n{message}".encode()).hexdigest()[:16]
            french = {"fr": {"message": alert_message(alert.kind, dict(alert.values), "fr")}}
            mail = FallbackMail("alert", "needs attention", people, {"message": message}, distinct=digest,
                                in_language=french)
        await self._deliver(incident, lambda: self._teams.alert(incident, alert), mail)

    async def severity_changed(self, incident: Incident, change: TimelineEvent) -> None:
        # No mail of its own when Teams fails: the incident's people are mailed the change by the cards'
        # refresh, and the audiences a raise adds by services.severity_news. The line waits for Teams.
        await self._deliver(incident, lambda: self._teams.severity_changed(incident, change), None)

    async def teams_status(self) -> TeamsStatus:
        deps = self._dependencies()
        if deps.health is None:
            return TeamsStatus(False)
        now = deps.clock.now()
        cached = self._status
        if cached is not None and timedelta(0) <= now - cached[0] < STATUS_CACHE:
            return cached[1]
        status = await deps.health.status(now)
        self._status = (now, status)
        return status

    async def _deliver(self, incident: Incident, send: Callable[[], Awaitable[None]],
                       mail: FallbackMail | None) -> None:
        deps = self._dependencies()
        kind = mail.template if mail is not None else "severity_changed"
        status = await self.teams_status()
        if status.down:
            failure = NotificationFailed(f"Teams is marked down ({status.reason}); email carries this instead")
        else:
            try:
                await send()
            except NotificationFailed as error:
                failure = error
                if deps.health is not None and not error.refused:  # a refusal is Teams answering: not down
                    await deps.health.record_failure(deps.clock.now(), str(error))
                    self._status = None
            else:
                if status.recent_failures and deps.health is not None:
                    await deps.health.record_success(deps.clock.now())
                    self._status = None
                telemetry().count(NOTIFICATIONS, {"kind": kind, "channel": "teams"})
                return
        telemetry().count(TEAMS_FAILURES)
        telemetry().count(NOTIFICATIONS, {"kind": kind, "channel": "email" if mail and deps.mailer else "none"})
        # Teams reached some of them (each person's own chat): email goes to the others only.
        if mail is not None:
            await mail_once(deps, incident, replace(mail, people=failure.people) if failure.people else mail)
        raise failure


async def mail_once(deps: Dependencies, incident: Incident, mail: FallbackMail) -> None:
    """Each person once per notification (``DELIVERY_KEY``); a failed send is released so the retry
    mails them."""
    if deps.mailer is None:
        log.error("%s: Teams failed and email is not configured; nobody could be told", incident.id)
        return
    key = DELIVERY_KEY.get() or f"{mail.template}:{incident.event_count}"
    if mail.distinct:
        key = f"{key}:{mail.distinct}"
    for person in mail.people:
        if not person.email:
            log.warning("%s: %s has no email address; the Teams message for them is not delivered",
                        incident.id, person.name)
            continue
        claim_key = f"fallback:{incident.id}:{key}:{person.email.lower()}"
        async with once(deps.idempotency, claim_key, deps.clock.now(), FALLBACK_LEASE,
                        release_on=(DevopsbotError,)) as claim:
            if claim.owned:  # in the person's own language (services.people_language)
                language = await language_for(deps, person, incident)
                view = await incident_view(deps, incident, reader=person, language=language)
                subject_line = mail.subjects.get(language) or mail.subject or subject(incident, mail.what, language)
                with traced("mail fallback", incident.id, {"devopsbot.template": mail.template}):
                    await deps.mailer.send_template((person.email,), subject_line, mail.template,
                                                    {"view": view, **mail.values,
                                                     **mail.in_language.get(language, {})})
                claim.result = "sent"
                telemetry().count(EMAIL_FALLBACKS, {"template": mail.template})


async def send_batches_once(deps: Dependencies, incident: Incident, recipients: Sequence[str], subject_line: str,
                            template: str, data: dict[str, Any]) -> None:
    """One message per ``MAX_RECIPIENTS`` recipients, each claimed under the notification's ``DELIVERY_KEY``:
    when a later message fails, the retry sends only the messages not sent yet, so nobody gets one twice.
    Each language group of recipients (services.people_language) is its own call. A claim names the addresses
    of its message (a digest of them), not its language group or position: when a retry groups people
    differently (a reader's language learnt in between, the roster unreadable), a message to other addresses
    is sent, never skipped."""
    if deps.mailer is None:
        return
    key = DELIVERY_KEY.get() or f"{template}:{incident.event_count}"
    for start in range(0, len(recipients), MAX_RECIPIENTS):
        batch = recipients[start:start + MAX_RECIPIENTS]
        addresses = hashlib.sha256("\n".join(sorted(a.strip().lower() for a in batch)).encode()).hexdigest()[:24]
        claim_key = f"batch:{incident.id}:{key}:{template}:{addresses}"
        async with once(deps.idempotency, claim_key, deps.clock.now(), FALLBACK_LEASE,
                        release_on=(DevopsbotError,)) as claim:
            if claim.owned:
                with traced("mail batch", incident.id, {"devopsbot.template": template}):
                    await deps.mailer.send_template(batch, subject_line, template, data)
                claim.result = "sent"


def _people_of(incident: Incident) -> tuple[Person, ...]:
    """Everyone the incident's Teams messages are for: its role holders and invitees, each once."""
    seen: dict[str, Person] = {}
    for person in (*incident.roles.values(), *incident.invitees):
        seen.setdefault(person.id, person)
    return tuple(seen.values())


def resolved_values(incident: Incident) -> dict[str, Any]:
    resolved_at = incident.resolved_at or incident.declared_at
    return {"resolution": incident.resolution, "resolved_at": resolved_at,
            "duration": _duration(resolved_at - incident.declared_at)}


def _duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60:02d} min"
