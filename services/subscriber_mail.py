"""Public updates by email to the confirmed subscribers of the incident's components.

A reaction to ``public_update_posted`` (the ``public`` command, and the final update at resolve), so it runs
through the bus's outbox: promised before the update is stored, swept after a crash. Each subscriber's mail
is claimed in the idempotency store (per incident, update and address), so a retry or a sweep mails only
those not mailed yet: once per subscriber per update, even when subscribed to several of its components.
Unconfirmed requests past their link's expiry are removed on the way.
Only the public face is mailed (public title, public update text, public state), never a private incident.
Every mail carries the reader's own unsubscribe link, also as RFC 8058 one-click headers when sent by SMTP
(the Graph mailer drops them: Graph's sendMail accepts only x- headers; the link in the body works either way).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, timedelta

from incident.errors import DevopsbotError
from incident.model import Incident, TimelineEvent
from incident.publishing import PUBLIC_UPDATE
from incident.status_page import public_state
from services.bus import Dependencies, Reaction
from services.once import once
from services.subscription_tokens import CONFIRM_TTL, Purpose
from services.subscriptions import UNSUBSCRIBE_PATH, component_names, link

WHEN = {"en": "%d %b %Y %H:%M UTC", "fr": "%d/%m/%Y %H:%M UTC"}
MAIL_LEASE = timedelta(minutes=10)  # a send that crashed may be retried after this
STATE_TEXT = {"en": {"investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring",
                     "resolved": "Resolved"},
              "fr": {"investigating": "Analyse en cours", "identified": "Cause identifiée",
                     "monitoring": "Sous surveillance", "resolved": "Résolu"}}


async def mail_subscribers(incident: Incident, events: Sequence[TimelineEvent], deps: Dependencies) -> None:
    publishing = deps.status_page
    store = publishing.subscriptions if publishing is not None else None
    signer = publishing.signer if publishing is not None else None
    if incident.private or store is None or signer is None or deps.mailer is None:
        return
    updates = [e for e in events if e.kind == PUBLIC_UPDATE]
    if not updates:
        return
    readers: dict[str, str] = {}  # address → language: one mail per subscriber, however many components
    stale = deps.clock.now() - CONFIRM_TTL  # a request never confirmed in time can no longer be: it goes
    for component in incident.services:
        for subscription in await store.of_component(component):
            if subscription.confirmed:
                readers.setdefault(subscription.address, subscription.language)
            elif subscription.requested_at is None or subscription.requested_at < stale:
                await store.remove(subscription.component, subscription.address)
    names = component_names(deps)
    title = incident.public.title or deps.policy.status_page.default_title
    posted = {update.at: update.state for update in incident.public.updates}  # each update's state when posted
    for event in updates:
        text = event.after.get("public_update", event.summary)
        state = posted.get(event.at, public_state(incident.status))
        for address, language in sorted(readers.items()):
            key = f"subscriber-mail:{incident.id}:{event.sequence}:{address}"
            async with once(deps.idempotency, key, deps.clock.now(), MAIL_LEASE,
                            release_on=(DevopsbotError,)) as claim:
                if not claim.owned:
                    continue
                url = link(deps, UNSUBSCRIBE_PATH, signer.issue(Purpose.UNSUBSCRIBE, address, deps.clock.now(),
                                                                language=language))
                await deps.mailer.send_template(
                    (address,), f"{title} · {STATE_TEXT[language][state]}", "subscriber_update",
                    {"language": language, "page_title": deps.policy.status_page.title, "title": title,
                     "state": STATE_TEXT[language][state], "text": text,
                     "when": event.at.astimezone(UTC).strftime(WHEN[language]),
                     "components": [names[s] for s in incident.services if s in names], "unsubscribe_url": url},
                    headers=(("List-Unsubscribe", f"<{url}>"),
                             ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")))
                claim.result = "sent"


SUBSCRIBER_REACTIONS: dict[str, tuple[Reaction, ...]] = {PUBLIC_UPDATE: (mail_subscribers,)}
