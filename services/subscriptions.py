"""Stakeholder subscriptions to the status page, double opt-in: the page's form asks, a signed link mailed
to the address confirms, a personal link in every update unsubscribes.

The form's answer is the same whether the address was subscribed, pending or unknown (``subscribe`` returns
nothing), so the form never tells who is subscribed. Confirmation mails to one address are capped per hour
(as answers to inbound mail are), so the form cannot be used to flood someone's mailbox. A confirmation link
works once: its nonce is kept on the pending rows and cleared when used, and a newer request makes older
links stale. Refused links change nothing and are counted in the audit log, as junk action links are.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

from incident.errors import InvalidValue
from incident.status_page import components_of
from services.action_link_tokens import LinkProblem, LinkRejected
from services.bus import Dependencies
from services.once import take_slot
from services.ports import AuditRecord
from services.status_page_ports import StatusPagePublishing
from services.subscription_ports import Subscription, Subscriptions, language_of, normalise_address
from services.subscription_tokens import CONFIRM_TTL, Purpose, SubscriptionClaims, SubscriptionSigner

CONFIRMATIONS_PER_HOUR = 3  # confirmation mails to one address per clock hour; more requests mail nothing
_SLOT_LEASE = timedelta(hours=2)
CONFIRM_PATH = "/api/status/confirm"
UNSUBSCRIBE_PATH = "/api/status/unsubscribe"
SUBSCRIBE_PATH = "/api/status/subscribe"
SUBJECTS = {"en": "Confirm your subscription to {title}", "fr": "Confirmez votre abonnement à {title}"}


class SubscriptionsOff(Exception):
    """This installation has no key to sign subscription links, or publishes no status page."""


def _parts(deps: Dependencies) -> tuple[StatusPagePublishing, Subscriptions, SubscriptionSigner]:
    publishing = deps.status_page
    store = publishing.subscriptions if publishing is not None else None
    if publishing is None or store is None or publishing.signer is None:
        raise SubscriptionsOff("subscriptions to the status page are not enabled on this installation")
    return publishing, store, publishing.signer


def link(deps: Dependencies, path: str, token: str) -> str:
    return f"{deps.public_url}{path}?{urlencode({'t': token})}"


def component_names(deps: Dependencies) -> dict[str, str]:
    """The page's components (key → public name), in the page's order."""
    return {c.key: c.name for c in components_of(deps.policy.status_page, deps.policy.services)}


async def subscribe(deps: Dependencies, address_text: str, components: Sequence[str], language: str) -> None:
    """Keep a pending subscription to ``components`` and mail its confirmation link. Refuses a malformed
    address or an unknown component (InvalidValue, in a sentence); says nothing about the address's state."""
    _, store, signer = _parts(deps)
    address = normalise_address(address_text)
    if address is None:
        raise InvalidValue("email", "give one email address, such as name@example.com")
    names = component_names(deps)
    wanted = tuple(dict.fromkeys(c for c in components if c))
    if not wanted:
        raise InvalidValue("components", "choose at least one component")
    if any(c not in names for c in wanted):
        raise InvalidValue("components", "choose components from the list on the status page")
    now, language = deps.clock.now(), language_of(language)
    if not await take_slot(deps.idempotency, f"subscription-mail:{address}:{now:%Y-%m-%dT%H}",
                           CONFIRMATIONS_PER_HOUR, now, _SLOT_LEASE):
        await _count(deps, "subscription_throttled", {"components": ",".join(wanted)})
        return
    nonce = secrets.token_urlsafe(16)
    for component in wanted:
        kept = await store.get(component, address) or Subscription(component, address, language=language)
        await store.put(replace(kept, nonce=nonce, pending_language=language, requested_at=now))
    if deps.mailer is None:
        return
    token = signer.issue(Purpose.CONFIRM, address, now, components=wanted, language=language, nonce=nonce)
    title = deps.policy.status_page.title
    await deps.mailer.send_template((address,), SUBJECTS[language].format(title=title), "subscription_confirm", {
        "language": language, "title": title, "components": [names[c] for c in wanted],
        "confirm_url": link(deps, CONFIRM_PATH, token), "hours": int(CONFIRM_TTL.total_seconds() // 3600)})


async def confirm(deps: Dependencies, token: str, *, act: bool) -> SubscriptionClaims:
    """Check a confirmation link (``act``: and confirm it). LinkRejected when forged, expired, made for
    something else, already used or superseded by a newer request."""
    _, store, signer = _parts(deps)
    now = deps.clock.now()
    claims = await _verified(deps, signer, token, Purpose.CONFIRM)
    pending = [s for s in [await store.get(c, claims.address) for c in claims.components]
               if s is not None and s.nonce and secrets.compare_digest(s.nonce, claims.nonce)]
    if not pending:
        await _refuse(deps, LinkRejected(LinkProblem.USED, "the link has already been used or a newer one was sent"))
    if act:
        for kept in pending:
            await store.put(replace(kept, confirmed=True, nonce="", language=claims.language, confirmed_at=now))
    return claims


async def unsubscribe(deps: Dependencies, token: str, *, act: bool) -> SubscriptionClaims:
    """Check an unsubscribe link (``act``: and remove every subscription of its address)."""
    _, store, signer = _parts(deps)
    claims = await _verified(deps, signer, token, Purpose.UNSUBSCRIBE)
    if act:
        await remove_address(store, claims.address)
    return claims


async def remove_address(store: Subscriptions, address: str) -> int:
    """Remove every subscription of ``address`` (normalised first); how many there were."""
    kept = await store.of_address(normalise_address(address) or address.strip().lower())
    for subscription in kept:
        await store.remove(subscription.component, subscription.address)
    return len(kept)


async def _verified(deps: Dependencies, signer: SubscriptionSigner, token: str,
                    purpose: Purpose) -> SubscriptionClaims:
    try:
        return signer.verify(token, purpose, deps.clock.now())
    except LinkRejected as rejected:
        await _refuse(deps, rejected)
        raise  # not reached: _refuse raises


async def _refuse(deps: Dependencies, rejected: LinkRejected) -> None:
    await _count(deps, "subscription_link_refused", {"problem": rejected.problem.value, "detail": rejected.detail})
    raise rejected


async def _count(deps: Dependencies, kind: str, detail: dict[str, str]) -> None:
    if deps.audit is not None:
        await deps.audit.count(AuditRecord(deps.clock.now(), kind, detail))
