"""Mail to a list of addresses goes out once per language group, each in its language, and a retried reaction sends
none of it again (each message is claimed by its addresses)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.errors import NotificationFailed
from incident.policy import OrganisationPolicy
from services.outbox import DELIVERY_KEY
from services.ports import Email
from services.severity_news import mail_new_audiences
from tests.conftest import ALICE


async def test_a_raise_mails_each_new_audience_in_its_language_once_however_often_it_is_retried(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    mailer = RecordingMailer()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                          policy=replace(policy, languages={"leadership@contoso.example": "fr"}),
                          notifier=RecordingNotifier(), mailer=mailer)
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE},
        services=("checkout",)))
    raised = await container.bus.handle(commands.ChangeSeverity(incident.id, "SEV1", ALICE))
    await container.bus.drain()
    timeline = await container.dependencies.incidents.timeline(incident.id)
    events = [e for e in timeline if e.kind == "severity_changed"]
    # The reaction retried as the bus retries it (services/bus.py): under the same delivery key, nothing more.
    token = DELIVERY_KEY.set(f"mail_new_audiences:{min(e.sequence for e in events)}")
    try:
        await mail_new_audiences(raised, events, container.dependencies)
    finally:
        DELIVERY_KEY.reset(token)
    news = [m for m in mailer.sent if "SEV1 severity raised" in m.subject or "SEV1 gravité relevée" in m.subject]
    assert [(m.to, m.subject) for m in news] == [
        (("engineering@contoso.example",), f"[{incident.id}] SEV1 severity raised from SEV3: Checkout failing"),
        (("leadership@contoso.example",), f"[{incident.id}] SEV1 gravité relevée, auparavant SEV3 : Checkout failing"),
    ]
    await container.aclose()


async def test_a_retry_that_groups_the_readers_differently_still_mails_the_one_whose_mail_failed(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    class FailsOnce(RecordingMailer):
        failed = False

        async def send(self, email: Email) -> None:
            if "leadership@contoso.example" in email.to and not self.failed:
                self.failed = True
                raise NotificationFailed("SMTP refused the message")
            await super().send(email)

    mailer = FailsOnce()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                          policy=replace(policy, languages={"leadership@contoso.example": "fr"}),
                          notifier=RecordingNotifier(), mailer=mailer)
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE},
        services=("checkout",)))
    raised = await container.bus.handle(commands.ChangeSeverity(incident.id, "SEV1", ALICE))
    events = [e for e in await container.dependencies.incidents.timeline(incident.id) if e.kind == "severity_changed"]
    token = DELIVERY_KEY.set(f"mail_new_audiences:{min(e.sequence for e in events)}")
    try:
        with pytest.raises(NotificationFailed):  # the English group is sent, the French one fails
            await mail_new_audiences(raised, events, container.dependencies)
        # Before the retry, nothing says leadership reads French any more: it joins the English group.
        english = replace(container.dependencies, policy=replace(container.dependencies.policy, languages={}))
        await mail_new_audiences(raised, events, english)
    finally:
        DELIVERY_KEY.reset(token)
    news = [m for m in mailer.sent if "SEV1 severity raised" in m.subject]
    assert "leadership@contoso.example" in {address for m in news for address in m.to}
    await container.aclose()
