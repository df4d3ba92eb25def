"""Email in: declare by mail, and replies in an incident's email thread become status updates.

A subject like ``DECLARE SEV2: checkout failing`` (optionally ``DECLARE SEV2 security: ...``) declares
an incident with the sender as commander; a reply whose subject carries ``[INC-2026-0001]`` posts its
new text as an update by that sender. Each message is handled once.

Answers are for people devopsbot knows (``_reply_policy``): a message not acted on is answered only when
its sender is in the directory (admins, the escalation contact, the roster) or is one of the named
incident's people, at most ``REPLIES_PER_HOUR`` times per sender per clock hour (counted in the
idempotency store, so it holds across hosts). Anyone else gets no answer at all: a forged sender must not
turn the mailbox into a source of backscatter. An update naming an incident that does not exist gets the
same answer as one the sender may not post to, so answers never reveal which incident ids exist.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from incident import commands
from incident.errors import ConcurrencyConflict, DomainError, NotFound, NotPermitted
from incident.model import MAX_TEXT, Incident, Person
from incident.timeline import clean_text
from services.bus import MessageBus
from services.once import once, take_slot
from services.telemetry_ports import MAIL_IN, telemetry
from services.tracing_ports import traced

log = logging.getLogger(__name__)

MESSAGE_LEASE = timedelta(minutes=10)
REPLIES_PER_HOUR = 5  # answers to one sender per clock hour; more messages are handled but not answered
_REPLY_SLOT_LEASE = timedelta(hours=2)  # longer than the hour a slot counts for
_PREFIXES = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|tr|vs)\s*:\s*)+", re.IGNORECASE)
_DECLARE = re.compile(r"^\s*DECLARE\s+(?P<severity>[A-Za-z][A-Za-z0-9]{0,9})(?:\s+(?P<type>[a-z][a-z0-9_]{0,39}))?"
                      r"\s*:\s*(?P<title>.+?)\s*$", re.IGNORECASE)
# Where a reply's quoted history starts, in the clients people use.
_QUOTE_STARTS = (re.compile(r"^\s*On .{1,200} wrote:\s*$"), re.compile(r"^\s*Le .{1,200} a écrit\s*:\s*$"),
                 re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE),
                 re.compile(r"^\s*_{5,}\s*$"), re.compile(r"^\s*From:\s.+", re.IGNORECASE),
                 re.compile(r"^\s*De\s*:\s.+", re.IGNORECASE))

# Subjects of automatic replies in the clients people use (headers are checked first, where present).
_AUTOMATIC_SUBJECT = re.compile(r"^\s*(automatic reply|auto[- ]?reply|out of (the )?office|réponse automatique|"
                                r"abwesenheitsnotiz|autosvar|undeliverable|delivery status notification)\b",
                                re.IGNORECASE)

Directory = Callable[[str], Awaitable[Person | None]]  # an email address → the person devopsbot knows


@dataclass(frozen=True)
class InboundMessage:
    message_id: str
    sender: str  # email address
    sender_name: str
    subject: str
    text: str  # plain text of the body
    automatic: bool = False  # an out-of-office or other machine reply (RFC 3834 Auto-Submitted and kin)


class Outcome(StrEnum):
    DECLARED = "declared"
    UPDATED = "updated"
    ANSWERED = "answered"  # not acted on; the sender was told why
    UNANSWERED = "unanswered"  # not acted on, and not answered: unknown sender, or answered enough this hour
    IGNORED = "ignored"  # already handled, or from devopsbot itself


@dataclass(frozen=True)
class Handled:
    outcome: Outcome
    incident_id: str = ""
    reply: str = ""  # why it was not acted on: told to the sender when ANSWERED, only logged when UNANSWERED
    reply_fr: str = ""  # the same in French, for a sender answered in French


def new_text(body: str) -> str:
    """The part of a reply its sender wrote: everything before the quoted history and '>' lines."""
    kept: list[str] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if line.strip() and any(pattern.match(line) for pattern in _QUOTE_STARTS):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def understand(message: InboundMessage, id_prefix: str, severities: tuple[str, ...],
               types: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """("declare", {severity, type, title}), ("update", {incident_id}) or ("unclear", {reason})."""
    subject = _PREFIXES.sub("", " ".join(message.subject.split()))
    reference = re.search(rf"\[({re.escape(id_prefix)}-\d{{4}}-\d{{1,6}})\]", subject)
    if reference:
        return "update", {"incident_id": reference.group(1)}
    declared = _DECLARE.match(subject)
    if declared is None:
        return "unclear", {"reason": "the subject neither starts with DECLARE <severity>: <title> nor names an "
                                     f"incident like [{id_prefix}-2026-0001]"}
    severity = declared.group("severity").upper()
    if severity not in severities:
        return "unclear", {"reason": f"'{severity}' is not a severity (use one of {', '.join(severities)})"}
    kind = (declared.group("type") or "").lower() or ("outage" if "outage" in types else types[0])
    if kind not in types:
        return "unclear", {"reason": f"'{kind}' is not an incident type (use one of {', '.join(types)})"}
    return "declare", {"severity": severity, "type": kind, "title": declared.group("title")}


async def ingest(bus: MessageBus, message: InboundMessage, directory: Directory, *, own_address: str = "") -> Handled:
    """Act on one message, once (its Message-ID is the idempotency key), and answer the sender if not acted on."""
    with traced("mail in") as operation:
        handled = await _ingest(bus, message, directory, own_address)
        operation.incident(handled.incident_id)
    telemetry().count(MAIL_IN, {"outcome": handled.outcome.value})  # all but declared and updated were refused
    return handled


async def _ingest(bus: MessageBus, message: InboundMessage, directory: Directory, own_address: str) -> Handled:
    deps = bus.dependencies
    sender = message.sender.strip().lower()
    if not sender or (own_address and sender == own_address.strip().lower()):
        return Handled(Outcome.IGNORED)  # never answer ourselves: no mail loops
    if message.automatic or _AUTOMATIC_SUBJECT.match(message.subject):
        return Handled(Outcome.IGNORED)  # an out-of-office is not an update, and answering it could loop
    key = f"mail:{message.message_id}"
    # An unfinished claim is a run that stopped half-way (a crash): what it did before it stopped must not be
    # done again when its lease runs out and this run takes the message over.
    earlier = await deps.idempotency.find(key)
    resumed = earlier.started_at if earlier is not None and not earlier.done else None
    async with once(deps.idempotency, key, deps.clock.now(), MESSAGE_LEASE) as claim:
        if not claim.owned:
            if claim.record.done:
                return Handled(Outcome.IGNORED)
            # Being handled, or a run stopped half-way (a crash): the mailbox must not move past it, or the
            # message would be lost; once the claim's lease runs out, a later poll takes it over.
            raise ConcurrencyConflict(f"the message {message.message_id} is still being handled; it is tried "
                                      "again on a later poll")
        lookup = _remembered(directory)  # _act and the reply policy ask about the same sender: read once
        handled = await _act(bus, message, lookup, resumed)
        # A stopped run that took an answer slot for this message may have sent the answer: at most one answer.
        answer = handled.outcome is Outcome.ANSWERED and not (
            resumed is not None and await _answer_slot_taken(bus, message, resumed))
        if answer:
            handled = await _reply_policy(bus, message, lookup, handled)
        claim.acted()  # the message was acted on: whatever follows, a retry must not act on it again
        if answer and handled.outcome is Outcome.ANSWERED:
            try:
                language = await _language(bus, handled.incident_id, message.sender)
                await _answer(bus, message, handled.reply_fr if language == "fr" and handled.reply_fr
                              else handled.reply, language)
            except Exception as error:  # the message was handled; only the courtesy answer failed
                # Not raising: the mailbox would stay before this message and fetch it again on every poll,
                # and the same failure would block every message after it.
                log.warning("could not answer %s about %s: %s", message.sender, message.message_id, error)
        claim.result = f"{handled.outcome.value} {handled.incident_id}".strip()
    return handled


async def _act(bus: MessageBus, message: InboundMessage, directory: Directory, resumed: datetime | None) -> Handled:
    policy = bus.dependencies.policy
    what, values = understand(message, policy.id_prefix, tuple(s.name for s in policy.severities),
                              tuple(t.key for t in policy.incident_types))
    if what == "unclear":
        return Handled(Outcome.ANSWERED, reply=f"Nothing was done: {values['reason']}.",
                       reply_fr=f"Rien n'a été fait : {values['reason']}.")
    person = await directory(message.sender)
    if what == "declare":
        if person is None:
            return Handled(Outcome.ANSWERED, reply=f"We understood a request to declare a {values['severity']} "
                           f"{values['type']} incident \"{values['title']}\", but {message.sender} is not a "
                           "known responder, so nothing was declared. Ask an incident admin to add you to the roster.",
                           reply_fr=f"Nous avons compris une demande de déclaration d'un incident {values['type']} "
                           f"{values['severity']} « {values['title']} », mais {message.sender} n'est pas un "
                           "intervenant connu : rien n'a été déclaré. Demandez à un administrateur des incidents de "
                           "vous ajouter aux astreintes.")
        try:
            incident: Incident = await bus.handle(commands.DeclareIncident(
                title=values["title"], incident_type=values["type"], severity=values["severity"], actor=person,
                summary=new_text(message.text)[:MAX_TEXT], roles={"commander": person},
                private=policy.is_private(values["type"], asked=False),  # `DECLARE SEV1 security: ...`
                idempotency_key=f"mail-declare:{message.message_id}"))
        except DomainError as error:
            return Handled(Outcome.ANSWERED, reply=f"Nothing was declared: {error}.",
                           reply_fr=f"Rien n'a été déclaré : {error}.")
        return Handled(Outcome.DECLARED, incident.id)
    incident_id = values["incident_id"]
    try:
        incident = await bus.dependencies.incidents.get(incident_id)
    except NotFound:
        return Handled(Outcome.ANSWERED, incident_id, *_not_posted(incident_id, message.sender))
    # Only people devopsbot knows write updates; who may post one on this incident (a security incident's
    # own people and incident admins) is decided by incident/access.py, as for Teams and action links.
    # Refused or unknown, the answer is the same, so it does not tell which incident ids exist.
    author = _participant(incident, message.sender) or person
    not_posted = Handled(Outcome.ANSWERED, incident_id, *_not_posted(incident_id, message.sender))
    if author is None:
        return not_posted
    text = new_text(message.text)
    if not text:
        return Handled(Outcome.ANSWERED, incident_id,
                       reply=f"We found no new text in your reply to {incident_id}; nothing was posted.",
                       reply_fr=f"Votre réponse sur {incident_id} ne contient pas de nouveau texte : rien n'a été "
                       "publié.")
    if resumed is not None and await _posted_since(bus, incident_id, author, text[:MAX_TEXT], resumed):
        return Handled(Outcome.UPDATED, incident_id)  # the stopped run posted it: once is enough
    try:
        await bus.handle(commands.PostUpdate(incident_id, text[:MAX_TEXT], author))
    except NotPermitted:
        return not_posted
    except DomainError as error:
        return Handled(Outcome.ANSWERED, incident_id, reply=f"Your update to {incident_id} was not posted: {error}.",
                       reply_fr=f"Votre point sur {incident_id} n'a pas été publié : {error}.")
    return Handled(Outcome.UPDATED, incident_id)


async def _posted_since(bus: MessageBus, incident_id: str, author: Person, text: str, since: datetime) -> bool:
    """Whether ``author`` posted ``text`` to the incident since ``since``: the update of a run that stopped
    after storing it. (The same words in another mail are posted again: only a taken-over run asks.)"""
    stored = clean_text("update", text, limit=MAX_TEXT, required=False)  # as the domain stores it
    return any(event.kind == "update_posted" and event.actor.id == author.id and event.at >= since
               and event.after.get("update") == stored
               for event in await bus.dependencies.incidents.timeline(incident_id))


def _not_posted(incident_id: str, sender: str) -> tuple[str, str]:
    """One answer whether or not the incident exists (in English and French): answers must not tell which
    incident ids exist."""
    return (f"Nothing was posted to {incident_id}: there is no such incident, or {sender} is not one of its "
            "responders.", f"Rien n'a été publié sur {incident_id} : cet incident n'existe pas, ou {sender} ne fait "
            "pas partie de ses intervenants.")


def _remembered(directory: Directory) -> Directory:
    """The directory, asked at most once per address for one message."""
    found: dict[str, Person | None] = {}

    async def lookup(address: str) -> Person | None:
        wanted = address.strip().lower()
        if wanted not in found:
            found[wanted] = await directory(address)
        return found[wanted]

    return lookup


async def _reply_policy(bus: MessageBus, message: InboundMessage, directory: Directory, handled: Handled) -> Handled:
    """ANSWERED stays so for a known sender with answers left this hour; UNANSWERED otherwise."""
    deps = bus.dependencies
    known = await directory(message.sender) is not None
    if not known and handled.incident_id:
        try:
            known = _participant(await deps.incidents.get(handled.incident_id), message.sender) is not None
        except NotFound:
            known = False
    if not known:
        log.info("not answering %s: not a sender devopsbot knows (%s)", message.sender, handled.reply)
        return Handled(Outcome.UNANSWERED, handled.incident_id, handled.reply)
    now = deps.clock.now()
    sender = message.sender.strip().lower()
    if await take_slot(deps.idempotency, _reply_prefix(sender, now), REPLIES_PER_HOUR, now, _REPLY_SLOT_LEASE,
                       message.message_id or "answered"):
        return handled
    log.warning("not answering %s: %d answers this hour already (%s)", message.sender, REPLIES_PER_HOUR,
                handled.reply)
    return Handled(Outcome.UNANSWERED, handled.incident_id, handled.reply)


def _reply_prefix(sender: str, at: datetime) -> str:
    """The answer slots of a sender in the hour of ``at`` are ``<prefix>:0`` … (services.once.take_slot)."""
    return f"mail-reply:{sender.strip().lower()}:{at:%Y-%m-%dT%H}"


async def _answer_slot_taken(bus: MessageBus, message: InboundMessage, resumed: datetime) -> bool:
    """Whether the run that began at ``resumed`` (and stopped within its lease) took an answer slot for it."""
    store = bus.dependencies.idempotency
    slots = dict.fromkeys(f"{_reply_prefix(message.sender, at)}:{slot}" for at in (resumed, resumed + MESSAGE_LEASE)
                          for slot in range(REPLIES_PER_HOUR))  # the lease may have crossed the hour
    for key in slots:
        record = await store.find(key)
        if record is not None and record.result == message.message_id:
            return True
    return False


def _participant(incident: Incident, address: str) -> Person | None:
    wanted = address.strip().lower()
    for person in (*incident.roles.values(), *incident.invitees, incident.declared_by):
        if person.email and person.email.lower() == wanted:
            return person
    return None


async def _language(bus: MessageBus, incident_id: str, sender: str) -> str:
    """The answer's language: its incident's for one of the incident's people, else the organisation's (so an
    answer to anyone else is the same whether or not the incident exists)."""
    if incident_id:
        try:
            incident = await bus.dependencies.incidents.get(incident_id)
        except NotFound:
            return bus.dependencies.policy.language
        if _participant(incident, sender) is not None:
            return incident.language
    return bus.dependencies.policy.language


async def _answer(bus: MessageBus, message: InboundMessage, reply: str, language: str = "en") -> None:
    mailer = bus.dependencies.mailer
    if mailer is None:
        log.warning("could not answer %s (email is not configured): %s", message.sender, reply)
        return
    subject = _PREFIXES.sub("", " ".join(message.subject.split())) or "your message"
    await mailer.send_template((message.sender,), f"Re: {subject}"[:250], "inbound_reply",
                               {"sender_name": message.sender_name or message.sender, "reply": reply,
                                "subject": subject, "id_prefix": bus.dependencies.policy.id_prefix,
                                "language": language})


class Mailbox(Protocol):
    async def fetch(self) -> tuple[list[InboundMessage], str]:
        """New messages and where to resume once they are handled."""
        ...

    async def commit(self, position: str) -> None: ...


async def poll(bus: MessageBus, mailbox: Mailbox, directory: Directory, *, own_address: str = "") -> list[Handled]:
    """Handle what arrived since the last poll. A failure stops the batch before the position moves on,
    so the next poll sees the same messages again; those already handled are recognised and skipped."""
    messages, position = await mailbox.fetch()
    handled = [await ingest(bus, message, directory, own_address=own_address) for message in messages]
    await mailbox.commit(position)
    return handled
