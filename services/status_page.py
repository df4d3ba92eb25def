"""Publishing the public status page: on every public change, the page is built from what was made public
and each file whose content changed is uploaded once (content hashes compared), conditionally, so the page
keeps working from a static store when the app, Teams or the bot are down."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta

from incident.errors import ConcurrencyConflict
from incident.model import Incident, TimelineEvent
from incident.status_page import build_status_page, public_record
from services.bus import Dependencies, Reaction, repeatable
from services.status_page_ports import StatusPagePublishing

# The timeline events that change what a published incident looks like from outside.
PUBLIC_CHANGES = ("public_update_posted", "public_title_set", "status_changed", "resolved", "reopened",
                  "severity_changed")
ATTEMPTS = 3  # someone else published between our listing and our upload: build the page again


async def keep_record(publishing: StatusPagePublishing, incident: Incident) -> None:
    """The incident's public record as it is now; none for a private one (were one ever kept, it goes)."""
    record = public_record(incident)
    if record is None:
        await publishing.records.remove(incident.id)
    else:
        await publishing.records.put(record)


async def publish_status_page(deps: Dependencies, publishing: StatusPagePublishing) -> list[str]:
    """The files uploaded (only those whose content changed). The listing comes before the records are
    read, so an upload that finds the file changed since (another publisher) means that publisher may have
    read newer records than ours: the page is built again from the records as they are now. Records of
    incidents resolved before the history window are dropped once the page no longer shows them."""
    policy = deps.policy
    for _ in range(ATTEMPTS):
        listed = await publishing.files.listing()
        records = await publishing.records.all()
        windows = await publishing.maintenance.all()
        now = deps.clock.now()
        page = build_status_page(records, policy=policy.status_page, services=policy.services, now=now,
                                 severity_ranks={s.name: s.rank for s in policy.severities}, maintenance=windows)
        uploaded = []
        try:
            for name, (content, content_type) in publishing.render(page, policy.status_page.history_days).items():
                digest = hashlib.sha256(content).hexdigest()
                known = listed.get(name)
                if known is not None and known.sha256 == digest:
                    continue
                await publishing.files.upload(name, content, content_type, digest, known)
                uploaded.append(name)
        except ConcurrencyConflict:
            continue
        since = now - timedelta(days=policy.status_page.history_days)
        for old in (r for r in records if r.resolved_at is not None and r.resolved_at < since):
            await publishing.records.remove(old.id)
        for window in (w for w in windows if w.ends_at < since or (not w.shown and w.starts_at < now)):
            await publishing.maintenance.remove(window.id)  # past the history, or cancelled and no longer due
        return uploaded
    raise ConcurrencyConflict("the status page kept being published by someone else; trying again later")


@repeatable
async def publish_public_change(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """A published incident changed as the outside world sees it: its record, then the page, follow."""
    if deps.status_page is not None and incident.public.published:
        await keep_record(deps.status_page, incident)
        await publish_status_page(deps, deps.status_page)


STATUS_PAGE_REACTIONS: dict[str, tuple[Reaction, ...]] = {kind: (publish_public_change,) for kind in PUBLIC_CHANGES}
