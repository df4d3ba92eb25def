"""Email through Graph's sendMail and the incidents mailbox through its delta query, against the local
Graph double (msal's real token flow through the identity double)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.clock import FixedClock
from adapters.graph import GraphClient
from adapters.graph_mail import GraphMailer
from adapters.inbound_sources import GraphMailbox
from adapters.memory import MemoryStateStore, RecordingMailer, RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.errors import NotificationFailed
from incident.model import Person
from incident.policy import OrganisationPolicy
from services.inbound_mail import Outcome, poll
from tests.conftest import ALICE, BOB
from tests.support.graph import GraphDouble, Sleeps

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SENDER = "incidents@contoso.example"


def view() -> dict[str, object]:
    return {"id": "INC-2026-0001", "severity": "SEV2", "status": "investigating", "restricted": False,
            "title": "Checkout <failing>", "summary": "", "roles": [], "latest_update": "", "latest_update_at": None,
            "declared_at": T0, "space_url": "", "language": "en", "replies": True, "actions": [],
            "page_url": "https://bot.example/api/incidents/INC-2026-0001/document?format=html",
            "dashboard_url": "https://bot.example/api/dashboard"}


async def test_two_thousand_stakeholders_take_four_calls_of_at_most_500_in_bcc(
        client: GraphClient, graph: GraphDouble) -> None:
    people = [f"person{n}@contoso.example" for n in range(2000)]
    mailer = GraphMailer(client, sender=SENDER, reply_to="incidents-in@contoso.example")
    await mailer.send_template(people, "[INC-2026-0001] SEV2 status update:\r\nBcc: evil@x", "alert",
                               {"view": view(), "message": "<b>hello</b>"})
    assert [len(m["message"]["bccRecipients"]) for m in graph.sent_mail] == [500, 500, 500, 500]
    assert sorted(r["emailAddress"]["address"] for m in graph.sent_mail for r in m["message"]["bccRecipients"]) \
        == sorted(people)
    first = graph.sent_mail[0]
    assert first["sender"] == SENDER
    assert "toRecipients" not in first["message"]  # it would count against the 500
    assert first["message"]["replyTo"] == [{"emailAddress": {"address": "incidents-in@contoso.example"}}]
    assert first["message"]["subject"] == "[INC-2026-0001] SEV2 status update: Bcc: evil@x"  # one line, inert
    assert first["message"]["body"]["contentType"] == "HTML"
    assert "&lt;b&gt;hello&lt;/b&gt;" in first["message"]["body"]["content"]
    assert mailer.calls == 4


async def test_throttled_sendmail_waits_as_graph_asks_then_sends(
        client: GraphClient, graph: GraphDouble, sleeps: Sleeps) -> None:
    graph.throttled, graph.retry_after = 2, "11"
    await GraphMailer(client, sender=SENDER).send_template(["a@contoso.example"], "s", "alert",
                                                           {"view": view(), "message": "m"})
    assert sleeps == [11.0, 11.0] and len(graph.sent_mail) == 1


async def test_sendmail_refused_is_a_notification_failure(client: GraphClient, graph: GraphDouble) -> None:
    graph.forbidden_code = "ErrorAccessDenied"
    with pytest.raises(NotificationFailed, match="ErrorAccessDenied"):
        await GraphMailer(client, sender=SENDER).send_template(["a@contoso.example"], "s", "alert",
                                                               {"view": view(), "message": "m"})


async def test_the_mailbox_delta_returns_each_message_once_across_pages_and_polls(
        client: GraphClient, graph: GraphDouble) -> None:
    state = MemoryStateStore()
    mailbox = GraphMailbox(client, "incidents-in@contoso.example", state)
    for n in range(3):
        graph.deliver("alice@contoso.example", f"message {n}", "text")
    first, position = await mailbox.fetch()
    assert [m.subject for m in first] == ["message 0", "message 1", "message 2"]
    await mailbox.commit(position)
    graph.deliver("bob@contoso.example", "message 3", "<p>Hello<br>there &amp; here</p>", html=True)
    second, _ = await mailbox.fetch()
    assert [(m.subject, m.sender, m.text.strip()) for m in second] == [
        ("message 3", "bob@contoso.example", "Hello\nthere & here")]


async def test_a_poll_declares_updates_and_answers_known_senders_only(
        client: GraphClient, graph: GraphDouble, policy: OrganisationPolicy, clock: FixedClock) -> None:
    mailer = RecordingMailer()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          notifier=RecordingNotifier(), mailer=mailer)
    known = {ALICE.email: ALICE, BOB.email: BOB}

    async def directory(address: str) -> Person | None:
        return known.get(address.lower())

    mailbox = GraphMailbox(client, "incidents-in@contoso.example", MemoryStateStore())
    graph.deliver(ALICE.email, "DECLARE SEV2: checkout failing", "Payments time out since 09:50.")
    graph.deliver("mallory@evil.example", "DECLARE SEV1: everything", "x")
    graph.deliver(BOB.email, "hello", "what is this?")
    handled = await poll(container.bus, mailbox, directory, own_address="incidents-in@contoso.example")
    assert [h.outcome for h in handled] == [Outcome.DECLARED, Outcome.UNANSWERED, Outcome.ANSWERED]
    incident = await container.dependencies.incidents.get(handled[0].incident_id)
    assert (incident.title, incident.severity, incident.holder("commander")) == ("checkout failing", "SEV2", ALICE)
    assert incident.summary == "Payments time out since 09:50."
    answers = {m.to: m for m in mailer.sent if m.subject.startswith("Re:")}
    assert ("mallory@evil.example",) not in answers  # a stranger (perhaps forged) hears nothing: no backscatter
    assert "not a known responder" in handled[1].reply  # the operator's log still says why
    assert "DECLARE SEV2: checkout failing" in answers[(BOB.email,)].text  # tells how it works
    graph.deliver(BOB.email, f"RE: [{incident.id}] SEV2 declared: checkout failing",
                  "Rolled back to 41.\n\nOn Fri, 27 Nov 2026 devopsbot wrote:\n> old text")
    graph.deliver(ALICE.email, f"RE: [{incident.id}] SEV2 declared: checkout failing", "Monitoring now.")
    again = await poll(container.bus, mailbox, directory)
    await container.bus.drain()
    assert [h.outcome for h in again] == [Outcome.UPDATED, Outcome.UPDATED]
    events = [e for e in await container.dependencies.incidents.timeline(incident.id) if e.kind == "update_posted"]
    assert [(e.actor, e.after["update"]) for e in events] == [(BOB, "Rolled back to 41."), (ALICE, "Monitoring now.")]
    assert await poll(container.bus, mailbox, directory) == []  # nothing new: nothing handled twice
