"""Severity changes are news: the broadcast thread hears of every change, and a raise mails the audiences the
new severity adds (the organisation file's ``audiences`` per severity) that the old one did not tell.

Both are reactions to the stored ``severity_changed`` event, so the outbox entry written with the change
makes sure they run after a crash, and each runs once: the Teams line keeps a marker, the mail is claimed
per message under the reaction's delivery key (services.fallback.send_batches_once). Lowering is one line in
the thread, no mail. A security incident has no broadcast thread; its new audiences are mailed without
details, as its stakeholders always are.
"""

from __future__ import annotations

from collections.abc import Sequence

from incident.model import Incident, TimelineEvent
from incident.policy import OrganisationPolicy
from services.bus import Dependencies
from services.fallback import send_batches_once
from services.mail_content import incident_view
from services.people_language import by_language

# The mail's subject in the incident's language (templates/email/severity_raised reads it the same way).
SUBJECTS = {
    "en": "[{id}] {after} severity raised from {before}: {title}",
    "fr": "[{id}] {after} gravité relevée, auparavant {before} : {title}",
}
PRIVATE_TITLES = {"en": "security incident", "fr": "incident de sécurité"}


def _changes(events: Sequence[TimelineEvent]) -> list[TimelineEvent]:
    return [e for e in events if e.kind == "severity_changed"]


def new_audiences(policy: OrganisationPolicy, incident: Incident, before: str, after: str) -> list[str]:
    """Addresses the ``after`` severity tells and the ``before`` one did not; none when it is not a raise."""
    if policy.severity(after).rank >= policy.severity(before).rank:
        return []
    told = set(policy.stakeholders(before, incident.priority))
    return [a for a in policy.stakeholders(after, incident.priority) if a not in told]


async def tell_severity_change(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """A line in the broadcast thread for each change (raised or lowered)."""
    for change in _changes(events):
        await deps.notifier.severity_changed(incident, change)


async def mail_new_audiences(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """The audiences a raise adds hear of the incident now, by email, whatever Teams does."""
    changes = _changes(events)
    if deps.mailer is None or not changes:
        return
    before, after = changes[0].before["severity"], changes[-1].after["severity"]
    recipients = new_audiences(deps.policy, incident, before, after)
    if not recipients:
        return
    cadence = deps.policy.effort(incident.severity, incident.priority).update_cadence
    # Each recipient in their own language (services.people_language): one group of messages per language.
    for language, addresses in (await by_language(deps, recipients, incident)).items():
        view = await incident_view(deps, incident, restricted=True, language=language)
        title = PRIVATE_TITLES[language] if incident.private else incident.title
        subject = SUBJECTS[language].format(id=incident.id, before=before, after=after, title=title)
        await send_batches_once(deps, incident, addresses, subject, "severity_raised", {
            "view": view, "before": before, "after": after, "fr": language == "fr",
            "cadence": int(cadence.total_seconds() // 60)})
