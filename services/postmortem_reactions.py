"""What follows a postmortem change once stored: reminders scheduled, the owner told, follow-ups filed in the
tracker, and the incident document published when the postmortem is completed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from incident.model import Incident, TimelineEvent
from incident.postmortem import TrackerState
from incident.postmortem_commands import RecordFollowUpFiled
from services.bus import Dependencies, Reaction
from services.mail_content import document_link
from services.once import once
from services.ports import Alert
from services.postmortem_handlers import apply_postmortem_change
from services.postmortem_timers import follow_up_items, mail, postmortem_items

# Longer than a tracker call can take (20 s timeout): a claim older than this was left by a crash.
FILING_LEASE = timedelta(minutes=5)


async def schedule_postmortem_reminders(incident: Incident, events: Sequence[TimelineEvent],
                                        deps: Dependencies) -> None:
    """On opening, and again on each resolve (a reopen silenced them): before and after the due date."""
    for item in postmortem_items(incident):
        await deps.due_work.schedule(item)


async def tell_postmortem_owner(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """The owner hears it is theirs, by when, and how to write it (Teams and email)."""
    pm = incident.postmortem
    if pm is None or not any(e.kind in ("postmortem_opened", "postmortem_owner_changed") for e in events):
        return
    due = f"{pm.due_at:%Y-%m-%d %H:%M} UTC"
    await deps.notifier.alert(incident, Alert("postmortem_opened", (pm.owner,), {"due": due}))
    await mail(deps, incident, (pm.owner.email,), f"[{incident.id}] You own the postmortem, due {pm.due_at:%Y-%m-%d}",
               "postmortem_due", owner=pm.owner.name, overdue=False, due_at=pm.due_at)


async def schedule_follow_up_reminders(incident: Incident, events: Sequence[TimelineEvent],
                                       deps: Dependencies) -> None:
    added = {int(e.after.get("number", "0")) for e in events if e.kind == "follow_up_added"}
    for follow_up in incident.follow_ups:
        if follow_up.number in added:
            for item in follow_up_items(incident, follow_up, deps.policy.escalation.follow_up_grace):
                await deps.due_work.schedule(item)


async def file_follow_ups(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """Each follow-up waiting for the tracker is filed there and its link kept. A failure raises
    TrackerError, and the bus retries this reaction from due work. Each filing is claimed first, so two
    reactions racing, or a retry after a crash between filing and keeping the link, never file it twice."""
    if deps.tracker is None:
        return
    for follow_up in incident.follow_ups:
        if follow_up.tracker_state != TrackerState.PENDING:
            continue
        key = f"tracker:{incident.id}:{follow_up.number}"
        # A failed filing is released (nothing was filed): a retry files it.
        async with once(deps.idempotency, key, deps.clock.now(), FILING_LEASE, release_on=(Exception,)) as claim:
            if claim.owned:
                claim.result = url = await deps.tracker.file(incident, follow_up)
            elif claim.record.done:
                url = claim.record.result  # filed before a crash kept the link: keep that one
        if not claim.owned and not claim.record.done:
            continue  # being filed right now; whoever files it keeps the link

        # The tracker's link is kept by the command for it, through its one handler (the bus's table).
        await apply_postmortem_change(RecordFollowUpFiled(incident.id, follow_up.number, url), deps)


async def publish_document(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """The completed postmortem's document: linked in the incident's space, mailed to the postmortem's owner."""
    pm = incident.postmortem
    if pm is None:
        return
    html, markdown = document_link(deps, incident, "html"), document_link(deps, incident, "md")
    await deps.notifier.alert(incident, Alert("document_ready", (pm.owner,), {"html": html, "markdown": markdown}))
    current = await deps.incidents.get(incident.id)
    what = "Document d'incident : " if current.language == "fr" else "Incident document: "
    await mail(deps, current, (pm.owner.email,), f"[{incident.id}] {what}{current.title}",
               "postmortem_document", postmortem=current.postmortem, follow_ups=current.follow_ups,
               html_link=html, markdown_link=markdown)


# Event kind → what follows it (the cards are refreshed as for every change; see services.reactions).
POSTMORTEM_REACTIONS: dict[str, Sequence[Reaction]] = {
    "resolved": (schedule_postmortem_reminders,),
    "postmortem_opened": (schedule_postmortem_reminders, tell_postmortem_owner),
    "postmortem_owner_changed": (tell_postmortem_owner,),
    "postmortem_reopened": (schedule_postmortem_reminders,),
    "follow_up_added": (schedule_follow_up_reminders, file_follow_ups),
    "postmortem_completed": (publish_document,),
}
