"""The response plan's communication section, emailed to the role holders on declaration (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from adapters.smtp_mailer import SmtpMailer
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.people import Person
from incident.policy import OrganisationPolicy
from incident.roster import RosterEntry
from tests.conftest import ALICE
from tests.support.smtp import Inbox, Received, smtp_server

CHLOE = Person("29:chloe", "Chloe <Nguyen>", "chloe@contoso.example")


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


def plan_mails(inbox: Inbox) -> list[Received]:
    return [m for m in inbox.messages if "Response plan" in str(m.message["Subject"])]


async def declared(inbox: Inbox, policy: OrganisationPolicy, clock: FixedClock, **kwargs: object) -> str:
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          notifier=RecordingNotifier(),
                          mailer=SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example"))
    # The roster names the communications lead of checkout: the declaration gives them the role.
    await container.dependencies.roster.put(RosterEntry("checkout", "communications_lead", CHLOE))
    incident = await container.bus.handle(commands.DeclareIncident(
        incident_type="outage", severity="SEV2", actor=ALICE, roles={"commander": ALICE}, services=("checkout",),
        **kwargs))  # type: ignore[arg-type]
    await container.bus.drain()
    await container.aclose()
    return str(incident.id)


async def test_the_role_holders_get_the_communication_section_by_email(
        inbox: Inbox, policy: OrganisationPolicy, clock: FixedClock) -> None:
    incident_id = await declared(inbox, policy, clock, title="Checkout <failing> & slow")
    [mail] = plan_mails(inbox)
    assert sorted(mail.envelope_to) == ["alice@contoso.example", "chloe@contoso.example"]
    assert mail.message["Subject"] == f"[{incident_id}] Response plan (Outage): Checkout <failing> & slow"
    text = mail.part("plain")
    assert "Primary channel: The incident's space in Microsoft Teams" in text
    for backup in ("- Email: incidents@contoso.example", "- Phone bridge: +1 555 0100, PIN 4242",
                   "- Out-of-band contact list: the on-call sheet in the ops share"):
        assert backup in text
    assert "- Communications lead: Chloe <Nguyen> <chloe@contoso.example>" in text
    assert "2. Post the first status update — Communications lead (Chloe <Nguyen>), within 15 min" in text
    html = mail.part("html")
    assert "<li>Phone bridge: +1 555 0100, PIN 4242</li>" in html
    assert "Checkout &lt;failing&gt; &amp; slow" in html and "Chloe &lt;Nguyen&gt;" in html


async def test_a_security_incidents_plan_mail_carries_no_title(
        inbox: Inbox, policy: OrganisationPolicy, clock: FixedClock) -> None:
    incident_id = await declared(inbox, policy, clock, title="Ransomware on the file server", private=True)
    [mail] = plan_mails(inbox)
    assert mail.message["Subject"] == f"[{incident_id}] Response plan (Outage): security incident"
    assert "Ransomware" not in mail.part("plain") and "Ransomware" not in mail.part("html")


async def test_a_french_incidents_plan_mail_is_in_french(
        inbox: Inbox, policy: OrganisationPolicy, clock: FixedClock) -> None:
    incident_id = await declared(inbox, policy, clock, title="Paiement en panne", language="fr")
    [mail] = [m for m in inbox.messages if "Plan de réponse" in str(m.message["Subject"])]
    assert mail.message["Subject"] == f"[{incident_id}] Plan de réponse (Outage) : Paiement en panne"
    text = mail.part("plain")
    assert "Vous tenez un rôle dans cet incident" in text and "Canal principal : " in text
    assert "2. Post the first status update — Communications lead (Chloe <Nguyen>), sous 15 min" in text
    html = mail.part("html")
    assert '<html lang="fr">' in html and "<h3>Plan de réponse</h3>" in html
    for part in (text, html):
        assert "You hold a role" not in part and "within 15 min" not in part and "Primary channel" not in part
