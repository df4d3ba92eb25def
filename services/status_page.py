"""Publishing the public status page: on every public change, the page is built from what was made public
and each file whose content changed is uploaded once (content hashes compared), conditionally, so the page
keeps working from a static store when the app, Teams or the bot are down."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta

from incident.errors import ConcurrencyConflict
from incident.model import Incident, TimelineEvent
from incident.status_page import build_status_page
from services.bus import Dependencies, Reaction, repeatable
from services.status_page_ports import StatusPagePublishing

# The timeline events that change what a published incident looks like from outside.
PUBLIC_CHANGES = ("public_update_posted", "public_title_set", "status_changed", "resolved", "reopened",
                  "severity_changed")
ATTEMPTS = 3  # someone else published between our listing and our upload: build the page again


async def published_incidents(deps: Dependencies) -> list[Incident]:
    """Incidents the page may show: those declared within the history window, and any still open."""
    now = deps.clock.now()
    since = now - timedelta(days=deps.policy.status_page.history_days)
    found = {i.id: i for i in await deps.incidents.declared_between(since, now)}
    found |= {i.id: i for i in await deps.incidents.list_open()}
    return list(found.values())


async def publish_status_page(deps: Dependencies, publishing: StatusPagePublishing) -> list[str]:
    """The files uploaded (only those whose content changed). The listing comes before the incidents are
    read, so an upload that finds the file changed since (another publisher) means that publisher may have
    read older incidents than ours could: the page is built again from the incidents as they are now."""
    policy = deps.policy
    for _ in range(ATTEMPTS):
        listed = await publishing.files.listing()
        page = build_status_page(await published_incidents(deps), policy=policy.status_page,
                                 services=policy.services, now=deps.clock.now(),
                                 severity_ranks={s.name: s.rank for s in policy.severities})
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
        return uploaded
    raise ConcurrencyConflict("the status page kept being published by someone else; trying again later")


@repeatable
async def publish_public_change(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    """A published incident changed as the outside world sees it: the page follows. A private incident is
    dropped by the page itself, so one that became private is taken off the page too."""
    if deps.status_page is not None and incident.public.published:
        await publish_status_page(deps, deps.status_page)


STATUS_PAGE_REACTIONS: dict[str, tuple[Reaction, ...]] = {kind: (publish_public_change,) for kind in PUBLIC_CHANGES}
