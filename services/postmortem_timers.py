"""Due work after resolution: postmortem reminders before and after its due date, overdue follow-ups
reminded to their owner and, after the grace period, raised to leadership.

Items are hints, checked against the stored incident when they fire (completed, done or closed: nothing
to say). A follow-up's items name it as their subject, so two follow-ups due at once keep an item each.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from incident.lifecycle import Status
from incident.model import Incident
from incident.postmortem import FollowUp
from services.mail_content import incident_view
from services.ports import Alert, DueItem
from services.timer_work import Next, Work

if TYPE_CHECKING:
    from services.bus import Dependencies, MessageBus

POSTMORTEM_DUE_SOON = "postmortem_due_soon"
POSTMORTEM_OVERDUE = "postmortem_overdue"
FOLLOW_UP_OVERDUE = "follow_up_overdue"
FOLLOW_UP_LEADERSHIP = "follow_up_leadership"
DUE_SOON_BEFORE = timedelta(days=1)
OVERDUE_EVERY = timedelta(days=1)  # the owner hears daily until it is done
LEADERSHIP_EVERY = timedelta(days=7)  # leadership weekly (the digest lists them too)


def postmortem_items(incident: Incident) -> tuple[DueItem, ...]:
    """The reminders of an open postmortem: a day before it is due (if that is after it opened), and when due."""
    pm = incident.postmortem
    if pm is None or pm.is_complete:
        return ()
    items = [DueItem(POSTMORTEM_OVERDUE, incident.id, pm.due_at)]
    if pm.due_at - DUE_SOON_BEFORE > pm.opened_at:
        items.insert(0, DueItem(POSTMORTEM_DUE_SOON, incident.id, pm.due_at - DUE_SOON_BEFORE))
    return tuple(items)


def follow_up_items(incident: Incident, follow_up: FollowUp, grace: timedelta) -> tuple[DueItem, ...]:
    payload, subject = {"number": str(follow_up.number)}, f"follow-up-{follow_up.number}"
    return (DueItem(FOLLOW_UP_OVERDUE, incident.id, follow_up.due_at, payload, subject=subject),
            DueItem(FOLLOW_UP_LEADERSHIP, incident.id, follow_up.due_at + grace, payload, subject=subject))


def fr(incident: Incident) -> bool:
    """Whether the incident's mails are in French (its language, the declarer's)."""
    return incident.language == "fr"


def _postmortem_pending(incident: Incident) -> bool:
    """Reminders wait while the incident is active again (reopened) and stop once it is closed."""
    pm = incident.postmortem
    return pm is not None and not pm.is_complete and incident.status in (Status.RESOLVED, Status.POSTMORTEM)


async def mail(deps: Dependencies, incident: Incident, to: tuple[str, ...], subject: str, template: str, *,
               restricted: bool = False, language: str = "", **data: object) -> None:
    """Email beside Teams: the owner may be away from it. ``restricted``: readers outside a private incident.
    ``language``: the readers', when known; else the incident's (``subject`` is given in it)."""
    addresses = tuple(a for a in to if a)
    if deps.mailer is not None and addresses:
        view = await incident_view(deps, incident, restricted=restricted, language=language)
        await deps.mailer.send_template(addresses, subject, template, {"view": view, **data})


async def remind_postmortem(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    deps = bus.dependencies
    pm = incident.postmortem
    if pm is None or not _postmortem_pending(incident):
        return Next()
    overdue = item.kind == POSTMORTEM_OVERDUE
    values = {"due": f"{pm.due_at:%Y-%m-%d %H:%M} UTC", "days": str(max(0, (now - pm.due_at).days))}
    await deps.notifier.alert(incident, Alert(item.kind, (pm.owner,), values))
    when = ("en retard" if overdue else "à rendre bientôt") if fr(incident) else ("overdue" if overdue else "due soon")
    await mail(deps, incident, (pm.owner.email,), f"[{incident.id}] Postmortem {when}", "postmortem_due",
               owner=pm.owner.name, overdue=overdue, due_at=pm.due_at)
    return Next((DueItem(POSTMORTEM_OVERDUE, incident.id, now + OVERDUE_EVERY),) if overdue else ())


async def remind_follow_up(item: DueItem, incident: Incident, bus: MessageBus, now: datetime) -> Next:
    """The owner first; after the grace period, leadership too (by email, and in the incident's space)."""
    deps = bus.dependencies
    number = int(item.payload.get("number", "0") or 0)
    follow_up = next((f for f in incident.follow_ups if f.number == number), None)
    if follow_up is None or follow_up.is_done:
        return Next()
    late = max(0, (now - follow_up.due_at).days)
    values = {"number": str(number), "title": follow_up.title, "days": str(late),
              "due": f"{follow_up.due_at:%Y-%m-%d}", "owner": follow_up.owner.name}
    if item.kind == FOLLOW_UP_OVERDUE:
        await deps.notifier.alert(incident, Alert(FOLLOW_UP_OVERDUE, (follow_up.owner,), values))
        overdue = (f"Action de suivi n° {number} en retard" if fr(incident)
                   else f"Follow-up #{number} is overdue")
        await mail(deps, incident, (follow_up.owner.email,), f"[{incident.id}] {overdue}",
                   "followup_overdue", followup=follow_up.title, owner=follow_up.owner.name, due_at=follow_up.due_at,
                   link=follow_up.tracker_url or follow_up.link, leadership=False)
        successor = now + OVERDUE_EVERY
    else:
        await deps.notifier.alert(incident, Alert(FOLLOW_UP_LEADERSHIP, (follow_up.owner,), values))
        if fr(incident):
            title = "action de suivi d'un incident de sécurité" if incident.private else follow_up.title
            line = f"Action de suivi n° {number} en retard de {late} jours : {title}"
        else:
            title = "security incident follow-up" if incident.private else follow_up.title
            line = f"Follow-up #{number} overdue {late} days: {title}"
        await mail(deps, incident, deps.policy.escalation.leadership_emails, f"[{incident.id}] {line}",
                   "followup_overdue",
                   restricted=True, followup=title, owner=follow_up.owner.name, due_at=follow_up.due_at,
                   link=follow_up.tracker_url or follow_up.link, leadership=True)
        successor = now + LEADERSHIP_EVERY
    return Next((DueItem(item.kind, incident.id, successor, {"number": str(number)}, subject=item.subject),))


POSTMORTEM_WORK: dict[str, Work] = {
    POSTMORTEM_DUE_SOON: remind_postmortem,
    POSTMORTEM_OVERDUE: remind_postmortem,
    FOLLOW_UP_OVERDUE: remind_follow_up,
    FOLLOW_UP_LEADERSHIP: remind_follow_up,
}
