"""The tokens of signed action links in email (make and verify them): acknowledge, post an update or resolve
without Teams.

A link carries its claims (incident, person, action, expiry, a one-time id) and an HMAC-SHA256
over them with the organisation's key. Verification recomputes the signature and compares in
constant time before reading any claim; single use is enforced where the action is performed
(``services.action_link_use``), because only storage can say whether a link was used before.

Rotating the key: new links are signed with the current key only; while a rotation lasts, a link signed with
the previous key is still accepted, so links already in people's mailboxes work until they expire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from incident.languages import DEFAULT, language_of
from incident.people import Person

DEFAULT_TTL = timedelta(hours=24)
MIN_KEY_BYTES = 32
_DOMAIN = b"devopsbot-action-link-v1."  # keeps these signatures useless for anything else signed with the key
MAX_TOKEN = 2048


class LinkAction(StrEnum):
    ACKNOWLEDGE = "ack"
    UPDATE = "update"
    RESOLVE = "resolve"


class LinkProblem(StrEnum):
    MALFORMED = "malformed"
    TAMPERED = "tampered"
    EXPIRED = "expired"
    USED = "used"


class LinkRejected(Exception):
    """A link that must change nothing; ``problem`` says why, for the page and the audit log."""

    def __init__(self, problem: LinkProblem, detail: str, claims: LinkClaims | None = None) -> None:
        super().__init__(detail)
        self.problem, self.detail, self.claims = problem, detail, claims


@dataclass(frozen=True)
class LinkClaims:
    incident_id: str
    person: Person
    action: LinkAction
    expires_at: datetime
    nonce: str
    language: str = DEFAULT  # the page's language: the reader's, signed with the rest so it cannot be changed


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ActionLinkSigner:
    def __init__(self, key: bytes, *, ttl: timedelta = DEFAULT_TTL, previous_key: bytes = b"") -> None:
        """``previous_key``: the key being rotated out, accepted (never used to sign) until it is removed."""
        if len(key) < MIN_KEY_BYTES or (previous_key and len(previous_key) < MIN_KEY_BYTES):
            raise ValueError(f"the action-link key must hold at least {MIN_KEY_BYTES} bytes")
        self._key, self.ttl = key, ttl
        self._accepted = (key, previous_key) if previous_key else (key,)

    def issue(self, incident_id: str, person: Person, action: LinkAction, now: datetime,
              language: str = DEFAULT) -> str:
        claims: dict[str, str | int] = {
            "i": incident_id, "p": person.id, "n": person.name, "m": person.email, "a": action.value,
            "x": int((now + self.ttl).timestamp()), "j": secrets.token_urlsafe(16)}
        if language_of(language) != DEFAULT:  # English links stay as they were
            claims["l"] = language_of(language)
        body = encode_claims(claims)
        return f"{body}.{signature(body, self._key, _DOMAIN)}"

    def verify(self, token: str, now: datetime) -> LinkClaims:
        """The claims of an authentic, unexpired link; LinkRejected otherwise. Nothing in the token is
        read before its signature is found good."""
        body = authentic_body(token, self._accepted, _DOMAIN)
        try:
            raw = json.loads(_unb64(body))
            claims = LinkClaims(
                incident_id=str(raw["i"]), person=Person(id=str(raw["p"]), name=str(raw["n"]), email=str(raw["m"])),
                action=LinkAction(raw["a"]), expires_at=datetime.fromtimestamp(int(raw["x"]), UTC), nonce=str(raw["j"]),
                language=language_of(str(raw.get("l", DEFAULT))))
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            # Signed by us yet unreadable: only a change of format could do this; refuse it all the same.
            raise LinkRejected(LinkProblem.MALFORMED, "the link's content cannot be read") from error
        if now >= claims.expires_at:
            raise LinkRejected(LinkProblem.EXPIRED, "the link has expired", claims)
        return claims


def signature(body: str, key: bytes, domain: bytes) -> str:
    """HMAC-SHA256 of ``body`` under ``domain``: each kind of signed link has its own domain, so a signature
    made for one kind is never valid for another, though the key is the same."""
    return _b64(hmac.new(key, domain + body.encode("ascii", "replace"), hashlib.sha256).digest())


def authentic_body(token: str, keys: tuple[bytes, ...], domain: bytes, limit: int = MAX_TOKEN) -> str:
    """The body of ``token`` (``body.signature``) when one of ``keys`` signed it under ``domain``, compared in
    constant time; LinkRejected (malformed or tampered) otherwise."""
    if not token or len(token) > limit or token.count(".") != 1:
        raise LinkRejected(LinkProblem.MALFORMED, "the link is incomplete or damaged")
    body, given = token.split(".")
    given_bytes = given.encode("ascii", "replace")
    if not any(hmac.compare_digest(given_bytes, signature(body, key, domain).encode("ascii")) for key in keys):
        raise LinkRejected(LinkProblem.TAMPERED, "the link's signature does not match its content")
    return body


def encode_claims(claims: Mapping[str, object]) -> str:
    return _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())


def decode_claims(body: str) -> object:
    return json.loads(_unb64(body))


def nonce_key(claims: LinkClaims) -> str:
    """The idempotency key that makes a link single-use."""
    return f"action-link:{claims.nonce}"
