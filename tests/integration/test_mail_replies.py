"""Answers from the incidents mailbox: only to people devopsbot knows, the same whether or not an incident
exists, and a few per sender per hour. Email files in, a real SMTP server out; memory and Azurite storage."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.inbound_sources import parse_eml
from adapters.smtp_mailer import SmtpMailer
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.policy import OrganisationPolicy
from services.inbound_mail import REPLIES_PER_HOUR, Handled, Outcome, ingest
from tests.conftest import ALICE, unique_prefix
from tests.support.smtp import Inbox, smtp_server

DUTY = "duty-manager@contoso.example"  # the escalation contact: someone devopsbot knows


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture(params=["memory", pytest.param("azurite", marks=pytest.mark.azurite)])
async def container(request: pytest.FixtureRequest, inbox: Inbox, policy: OrganisationPolicy,
                    clock: FixedClock) -> AsyncIterator[Container]:
    mailer = SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example")
    if request.param == "memory":
        built = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          mailer=mailer)
    else:
        settings = Settings(storage_connection_string=request.getfixturevalue("azurite"), table_prefix=unique_prefix())
        built = Container(settings, clock=clock, policy=policy, mailer=mailer)
    yield built
    await built.aclose()


def eml(sender: str, subject: str, message_id: str, body: str = "Rolled back.") -> bytes:
    return (f"From: {sender}\r\nTo: incidents@contoso.example\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


async def mail(container: Container, data: bytes) -> Handled:
    handled = await ingest(container.bus, parse_eml(data), container.directory, own_address="incidents@contoso.example")
    await container.bus.drain()
    return handled


@pytest.mark.parametrize("subject", ["DECLARE SEV1: Visit https://evil.example/win for a prize",
                                     "Buy cheap watches at evil.example", "RE: [INC-2026-0001] win a prize"])
async def test_an_unknown_sender_gets_no_answer_at_all(container: Container, inbox: Inbox, subject: str) -> None:
    handled = await mail(container, eml("victim@elsewhere.example", subject, "<spam1@evil.example>"))
    assert handled.outcome is Outcome.UNANSWERED
    assert inbox.messages == []  # nothing goes back to the (possibly forged) sender
    assert await container.dependencies.incidents.list_open() == []


async def test_an_update_gets_the_same_answer_whether_or_not_the_incident_exists(
        container: Container, inbox: Inbox) -> None:
    for _ in range(2):  # not INC-2026-0001, which the answer names as an example
        await container.bus.handle(commands.DeclareIncident(
            title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE}))
    private = await container.bus.handle(commands.DeclareIncident(
        title="Leaked key", incident_type="security", severity="SEV1", actor=ALICE, roles={"commander": ALICE},
        private=True))
    await container.bus.drain()
    missing = private.id[:-1] + "9"
    await mail(container, eml(DUTY, f"RE: [{private.id}] update", "<u1@contoso.example>"))
    await mail(container, eml(DUTY, f"RE: [{missing}] update", "<u2@contoso.example>"))
    exists, absent = (m.part("plain") for m in inbox.messages if str(m.message["Subject"]).startswith("Re: ["))
    assert exists.replace(private.id, "ID") == absent.replace(missing, "ID")
    assert "there is no such incident, or duty-manager@contoso.example is not one of its responders" in exists
    assert (await container.dependencies.incidents.get(private.id)).last_update == ""


async def test_a_known_sender_is_answered_a_few_times_an_hour_and_again_the_next_hour(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    outcomes = [(await mail(container, eml(DUTY, "please help", f"<h{n}@contoso.example>"))).outcome
                for n in range(REPLIES_PER_HOUR + 3)]
    assert outcomes == [Outcome.ANSWERED] * REPLIES_PER_HOUR + [Outcome.UNANSWERED] * 3
    assert [m.envelope_to for m in inbox.messages] == [[DUTY]] * REPLIES_PER_HOUR
    assert "Nothing was done" in inbox.messages[0].part("plain")
    clock.at += timedelta(hours=1)
    later = await mail(container, eml(DUTY, "please help", "<next-hour@contoso.example>"))
    assert later.outcome is Outcome.ANSWERED and len(inbox.messages) == REPLIES_PER_HOUR + 1


@pytest.mark.azurite
async def test_the_reply_count_is_kept_across_hosts(azurite: str, inbox: Inbox, clock: FixedClock,
                                                    policy: OrganisationPolicy) -> None:
    settings = Settings(storage_connection_string=azurite, table_prefix=unique_prefix())
    hosts = [Container(settings, clock=clock, policy=policy,
                       mailer=SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example"))
             for _ in range(2)]
    try:
        for n in range(REPLIES_PER_HOUR):
            await mail(hosts[0], eml(DUTY, "please help", f"<a{n}@contoso.example>"))
        handled = await mail(hosts[1], eml(DUTY, "please help", "<b1@contoso.example>"))
    finally:
        for host in hosts:
            await host.aclose()
    assert handled.outcome is Outcome.UNANSWERED and len(inbox.messages) == REPLIES_PER_HOUR


async def test_one_of_the_incidents_people_is_answered_though_not_in_the_roster(
        container: Container, inbox: Inbox) -> None:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV2", actor=ALICE, roles={"commander": ALICE}))
    await container.bus.drain()
    before = len(inbox.messages)  # the declaration itself may go out by email (no Teams in this test)
    handled = await mail(container, eml(ALICE.email, f"RE: [{incident.id}] update", "<e1@contoso.example>", body=""))
    assert handled.outcome is Outcome.ANSWERED
    [answer] = [m for m in inbox.messages[before:] if str(m.message["Subject"]).startswith("Re: [")]
    assert answer.envelope_to == [ALICE.email] and "no new text" in answer.part("plain")
