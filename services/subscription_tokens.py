"""The tokens of the status page's subscription links: confirm a subscription, unsubscribe from it.

Signed like action links (services/action_link_tokens.py: HMAC-SHA256 with the organisation's key, compared
in constant time before any claim is read) but under a domain of their own, so an action-link token is never
a subscription token and a subscription token never acts on an incident. Each token also names its purpose:
a confirmation link never unsubscribes, an unsubscribe link never confirms. A confirmation is single-use
through its nonce, kept on the pending subscription (services/subscriptions.py).
"""

from __future__ import annotations

import binascii
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from services.action_link_tokens import (
    MIN_KEY_BYTES,
    LinkProblem,
    LinkRejected,
    authentic_body,
    decode_claims,
    encode_claims,
    signature,
)

_DOMAIN = b"devopsbot-status-subscription-v1."
CONFIRM_TTL = timedelta(hours=48)
UNSUBSCRIBE_TTL = timedelta(days=400)  # an update read a year later still unsubscribes its reader
# A confirmation names the components chosen: up to the subscribe form's 8 KB of keys (functions/
# status_subscriptions.py MAX_FORM), a third more in base64; an action link's 2 KB would refuse a long choice.
MAX_SUBSCRIPTION_TOKEN = 16 * 1024


class Purpose(StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"


@dataclass(frozen=True)
class SubscriptionClaims:
    purpose: Purpose
    address: str
    components: tuple[str, ...]  # what a confirmation confirms; () for an unsubscribe link (every component)
    language: str
    expires_at: datetime
    nonce: str


class SubscriptionSigner:
    def __init__(self, key: bytes, *, previous_key: bytes = b"") -> None:
        if len(key) < MIN_KEY_BYTES or (previous_key and len(previous_key) < MIN_KEY_BYTES):
            raise ValueError(f"the action-link key must hold at least {MIN_KEY_BYTES} bytes")
        self._key = key
        self._accepted = (key, previous_key) if previous_key else (key,)

    def issue(self, purpose: Purpose, address: str, now: datetime, *, components: tuple[str, ...] = (),
              language: str = "en", nonce: str = "") -> str:
        ttl = CONFIRM_TTL if purpose is Purpose.CONFIRM else UNSUBSCRIBE_TTL
        body = encode_claims({"u": purpose.value, "m": address, "c": list(components), "l": language,
                              "x": int((now + ttl).timestamp()), "j": nonce or secrets.token_urlsafe(16)})
        return f"{body}.{signature(body, self._key, _DOMAIN)}"

    def verify(self, token: str, purpose: Purpose, now: datetime) -> SubscriptionClaims:
        """The claims of an authentic, unexpired link made for ``purpose``; LinkRejected otherwise."""
        body = authentic_body(token, self._accepted, _DOMAIN, MAX_SUBSCRIPTION_TOKEN)
        try:
            raw = decode_claims(body)
            if not isinstance(raw, dict):
                raise TypeError("not an object")
            claims = SubscriptionClaims(
                purpose=Purpose(raw["u"]), address=str(raw["m"]), components=tuple(str(c) for c in raw["c"]),
                language=str(raw["l"]), expires_at=datetime.fromtimestamp(int(raw["x"]), UTC), nonce=str(raw["j"]))
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise LinkRejected(LinkProblem.MALFORMED, "the link's content cannot be read") from error
        if claims.purpose is not purpose:
            raise LinkRejected(LinkProblem.MALFORMED, f"the link is not a {purpose.value} link")
        if now >= claims.expires_at:
            raise LinkRejected(LinkProblem.EXPIRED, "the link has expired")
        return claims
