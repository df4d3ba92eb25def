"""Inbound mail is handled once, and a message whose handling stopped half-way (a crash) is not lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.errors import ConcurrencyConflict, NotificationFailed
from incident.model import Person
from incident.policy import OrganisationPolicy
from services.inbound_mail import MESSAGE_LEASE, InboundMessage, Outcome, poll
from services.ports import Email
from tests.conftest import ALICE

DECLARATION = InboundMessage(message_id="<m1@contoso.example>", sender=ALICE.email, sender_name=ALICE.name,
                             subject="DECLARE SEV2: checkout failing", text="Payments time out.")


class Mailbox:
    """The same messages until the position is committed, as Graph's delta query behaves."""

    def __init__(self, messages: list[InboundMessage]) -> None:
        self.messages = messages
        self.committed: list[str] = []  # positions committed, in order

    async def fetch(self) -> tuple[list[InboundMessage], str]:
        return ([] if self.committed else list(self.messages)), "after-m1"

    async def commit(self, position: str) -> None:
        self.committed.append(position)


async def directory(address: str) -> Person | None:
    return ALICE if address.lower() == ALICE.email else None


async def test_a_message_whose_handling_was_interrupted_is_not_skipped(
        memory_container: Container, clock: FixedClock) -> None:
    deps = memory_container.dependencies
    # A poll claimed the message and then the process stopped: the claim stays, unfinished.
    await deps.idempotency.begin(f"mail:{DECLARATION.message_id}", clock.at, MESSAGE_LEASE)
    mailbox = Mailbox([DECLARATION])
    with pytest.raises(ConcurrencyConflict):
        await poll(memory_container.bus, mailbox, directory)
    assert mailbox.committed == []  # the mailbox position stays before the message
    clock.at += MESSAGE_LEASE + timedelta(seconds=1)  # the stopped claim's lease runs out
    [handled] = await poll(memory_container.bus, mailbox, directory)
    assert handled.outcome is Outcome.DECLARED and mailbox.committed == ["after-m1"]
    incident = await deps.incidents.get(handled.incident_id)
    assert incident.title == "checkout failing"


async def test_a_message_already_handled_is_ignored(memory_container: Container) -> None:
    mailbox = Mailbox([DECLARATION])
    [first] = await poll(memory_container.bus, mailbox, directory)
    mailbox.committed.clear()  # Graph hands the same message again (read flag changed, say)
    [second] = await poll(memory_container.bus, mailbox, directory)
    assert (first.outcome, second.outcome) == (Outcome.DECLARED, Outcome.IGNORED)
    assert len(await memory_container.dependencies.incidents.list_open()) == 1


def eml(headers: str, subject: str) -> bytes:
    return (f"From: {ALICE.email}\r\nSubject: {subject}\r\nMessage-ID: <a1@contoso.example>\r\n{headers}"
            "Content-Type: text/plain\r\n\r\nI am away until Monday.\r\n").encode()


@pytest.mark.parametrize(("headers", "automatic"), [
    ("Auto-Submitted: auto-replied\r\n", True), ("Precedence: bulk\r\n", True), ("X-Autoreply: yes\r\n", True),
    ("Auto-Submitted: no\r\n", False), ("", False)])
def test_machine_replies_are_recognised_by_their_headers(headers: str, automatic: bool) -> None:
    from adapters.inbound_sources import parse_eml

    assert parse_eml(eml(headers, "RE: [INC-2026-0001] SEV2 declared: x")).automatic is automatic


@pytest.mark.parametrize("subject", ["Automatic reply: [INC-2026-0001] SEV2 declared: x",
                                     "Out of Office: [INC-2026-0001] SEV2 declared: x"])
async def test_an_out_of_office_is_neither_an_update_nor_answered(memory_container: Container, subject: str) -> None:
    mailbox = Mailbox([DECLARATION])
    [declared] = await poll(memory_container.bus, mailbox, directory)
    away = InboundMessage(message_id="<ooo@contoso.example>", sender=ALICE.email, sender_name=ALICE.name,
                          subject=subject.replace("INC-2026-0001", declared.incident_id), text="I am away.")
    [handled] = await poll(memory_container.bus, Mailbox([away]), directory)
    assert handled.outcome is Outcome.IGNORED
    incident = await memory_container.dependencies.incidents.get(declared.incident_id)
    assert incident.last_update == ""


async def test_a_security_incident_takes_mailed_updates_only_from_its_own_people(
        memory_container: Container) -> None:
    from incident import commands
    from tests.conftest import BOB

    incident = await memory_container.bus.handle(commands.DeclareIncident(
        title="Leaked key", incident_type="security", severity="SEV1", actor=ALICE, roles={"commander": ALICE},
        private=True))

    async def everyone(address: str) -> Person | None:  # Bob is in the roster, not in this incident
        return {ALICE.email: ALICE, BOB.email: BOB}.get(address.lower())

    reply = InboundMessage(message_id="<r1@contoso.example>", sender=BOB.email, sender_name=BOB.name,
                           subject=f"RE: [{incident.id}] SEV1 declared: security incident", text="Rotated it.")
    [handled] = await poll(memory_container.bus, Mailbox([reply]), everyone)
    assert handled.outcome is Outcome.ANSWERED and "not one of its responders" in handled.reply
    assert (await memory_container.dependencies.incidents.get(incident.id)).last_update == ""


class BrokenMailer(RecordingMailer):
    """A mail transport that refuses everything (the relay is down)."""

    async def send(self, email: Email) -> None:
        raise NotificationFailed("the SMTP relay refused the connection")


async def test_a_message_whose_answer_cannot_be_sent_is_still_handled_once(policy: OrganisationPolicy,
                                                                          clock: FixedClock) -> None:
    # Alice is known, so an unclear subject is answered; the answer fails, the message is handled all the same.
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          mailer=BrokenMailer())
    unclear = replace(DECLARATION, subject="Checkout is down again")
    mailbox = Mailbox([unclear])
    [handled] = await poll(container.bus, mailbox, directory)
    assert handled.outcome is Outcome.ANSWERED and mailbox.committed == ["after-m1"]  # the mailbox moves on
    mailbox.committed.clear()  # fetched again: recognised, not handled or answered twice
    [again] = await poll(container.bus, mailbox, directory)
    assert again.outcome is Outcome.IGNORED


async def test_answers_are_in_the_incidents_language_for_its_people_and_the_organisations_for_others(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    from incident import commands
    from tests.conftest import BOB

    mailer = RecordingMailer()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          mailer=mailer)
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Clé divulguée", incident_type="security", severity="SEV2", actor=ALICE, roles={"commander": ALICE},
        private=True, language="fr"))

    async def everyone(address: str) -> Person | None:  # Bob is in the roster, not in this incident
        return {ALICE.email: ALICE, BOB.email: BOB}.get(address.lower())

    def reply(number: int, sender: Person, incident_id: str, text: str) -> InboundMessage:
        return InboundMessage(message_id=f"<r{number}@contoso.example>", sender=str(sender.email),
                              sender_name=sender.name, subject=f"RE: [{incident_id}] SEV2", text=text)

    await poll(container.bus, Mailbox([reply(1, ALICE, incident.id, "> quoted only")]), everyone)
    await poll(container.bus, Mailbox([reply(2, BOB, incident.id, "Rotated it.")]), everyone)
    await poll(container.bus, Mailbox([reply(3, BOB, "INC-2026-0999", "Rotated it.")]), everyone)
    mine, outsiders, missing = mailer.sent
    assert mine.text.startswith("Bonjour Alice Martin,") and "ne contient pas de nouveau texte" in mine.text
    assert '<html lang="fr">' in mine.html and "automatic answer" not in mine.text
    # Someone outside it is answered as about an incident that does not exist: nothing learnt from the language.
    assert outsiders.text.startswith("Hello Bob") and "not one of its responders" in outsiders.text
    assert missing.text.replace("INC-2026-0999", incident.id).replace("<r3", "<r2") == outsiders.text


async def test_an_update_stored_by_a_run_that_stopped_before_finishing_is_not_posted_again(
        memory_container: Container, clock: FixedClock) -> None:
    deps = memory_container.dependencies
    [declared] = await poll(memory_container.bus, Mailbox([DECLARATION]), directory)
    reply = InboundMessage(message_id="<m2@contoso.example>", sender=ALICE.email, sender_name=ALICE.name,
                           subject=f"RE: [{declared.incident_id}] SEV2 declared", text="Rolled back.\n> quoted")
    # A host claimed the reply, stored the update, and was killed before it could complete the claim.
    await deps.idempotency.begin(f"mail:{reply.message_id}", clock.at, MESSAGE_LEASE)
    await memory_container.bus.handle(commands.PostUpdate(declared.incident_id, "Rolled back.", ALICE))
    clock.at += MESSAGE_LEASE + timedelta(seconds=1)  # its lease runs out: another host takes the reply over
    [handled] = await poll(memory_container.bus, Mailbox([reply]), directory)
    assert (handled.outcome, handled.incident_id) == (Outcome.UPDATED, declared.incident_id)
    updates = [e for e in await deps.incidents.timeline(declared.incident_id) if e.kind == "update_posted"]
    assert [e.after["update"] for e in updates] == ["Rolled back."]


async def test_the_same_words_in_a_new_mail_are_posted_again(memory_container: Container) -> None:
    deps = memory_container.dependencies
    [declared] = await poll(memory_container.bus, Mailbox([DECLARATION]), directory)
    for n in (2, 3):
        reply = InboundMessage(message_id=f"<m{n}@contoso.example>", sender=ALICE.email, sender_name=ALICE.name,
                               subject=f"RE: [{declared.incident_id}] SEV2 declared", text="Still investigating.")
        [handled] = await poll(memory_container.bus, Mailbox([reply]), directory)
        assert handled.outcome is Outcome.UPDATED
    updates = [e for e in await deps.incidents.timeline(declared.incident_id) if e.kind == "update_posted"]
    assert [e.after["update"] for e in updates] == ["Still investigating."] * 2


class Killed(BaseException):
    """The process dies (SIGKILL): nothing after it runs, no handler catches it."""


class KilledAfterSending(RecordingMailer):
    """The answer goes out, then the host is killed before it records that the message was handled."""

    async def send(self, email: Email) -> None:
        await super().send(email)
        if len(self.sent) == 1:
            raise Killed


async def test_a_message_answered_by_a_run_that_stopped_before_finishing_is_not_answered_again(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    mailer = KilledAfterSending()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          mailer=mailer)
    mailbox = Mailbox([replace(DECLARATION, subject="lunch on friday?")])  # Alice is known: answered
    with pytest.raises(Killed):
        await poll(container.bus, mailbox, directory)
    assert len(mailer.sent) == 1 and mailbox.committed == []
    clock.at += MESSAGE_LEASE + timedelta(seconds=1)  # the dead run's lease runs out: another host takes it over
    [again] = await poll(container.bus, mailbox, directory)
    assert again.outcome is Outcome.ANSWERED and mailbox.committed == ["after-m1"]
    assert len(mailer.sent) == 1, "answered once"
