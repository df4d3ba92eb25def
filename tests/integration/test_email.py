"""Email over a real SMTP server (aiosmtpd): escalation mails the new holder, parts escaped for each."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from adapters.smtp_mailer import SmtpMailer
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.errors import NotificationFailed
from incident.model import Person
from incident.policy import OrganisationPolicy
from services.ports import RosterEntry
from services.timers import run_tick
from tests.conftest import ALICE
from tests.support.processes import free_port
from tests.support.smtp import Inbox, smtp_server

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
BOB = Person("29:bob", "Bob Durand", "bob@contoso.example")
HOSTILE_TITLE = '<script>alert("x")</script> Checkout & payments'


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


def mailer(port: int) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=port, sender="incidents@contoso.example")


async def test_escalation_mails_the_new_commander_with_both_parts_escaped(
        inbox: Inbox, policy: OrganisationPolicy, clock: FixedClock) -> None:
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          notifier=RecordingNotifier(), mailer=mailer(inbox.port))
    await container.dependencies.roster.put(RosterEntry("checkout", "commander", BOB))
    incident = await container.bus.handle(commands.DeclareIncident(
        title=HOSTILE_TITLE, incident_type="outage", severity="SEV2", actor=ALICE, roles={"commander": ALICE},
        services=("checkout",)))
    await container.bus.drain()
    clock.at = T0 + timedelta(minutes=15)
    await run_tick(container.bus, clock.at)
    [mail] = [m for m in inbox.messages if m.envelope_to == ["bob@contoso.example"]]
    assert mail.message["Subject"] == f"[{incident.id}] You are now Incident commander: {HOSTILE_TITLE}"
    assert "<script>" in mail.part("plain")  # text is text
    html = mail.part("html")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; payments" in html
    assert "not acknowledged within 15 min" in html
    await container.aclose()


async def test_stakeholder_lists_go_out_in_batches_of_500_without_showing_each_other(inbox: Inbox) -> None:
    people = [f"person{n}@contoso.example" for n in range(1200)]
    await mailer(inbox.port).send_template(people, "[INC-2026-0001] test", "alert",
                                           {"view": await _view(), "message": "test"})
    assert [len(m.envelope_to) for m in inbox.messages] == [500, 500, 200]
    assert all(m.message["To"] == "incidents@contoso.example" for m in inbox.messages)
    assert sorted(a for m in inbox.messages for a in m.envelope_to) == sorted(people)


async def test_an_unreachable_smtp_server_is_a_notification_failure() -> None:
    with pytest.raises(NotificationFailed, match="could not be sent"):
        await mailer(free_port()).send_template(["a@contoso.example"], "s", "alert",
                                                {"view": await _view(), "message": "test"})


async def _view() -> dict[str, object]:
    from incident.model import Incident
    from services.mail_content import incident_view

    container = Container(Settings(storage_connection_string="memory"), in_memory=True)
    incident = _incident()
    assert isinstance(incident, Incident)
    return await incident_view(container.dependencies, incident)


def _incident() -> object:
    from devopsbot.organisation import load_organisation
    from devopsbot.settings import ROOT
    from incident.model import Incident

    return Incident.declare(incident_id="INC-2026-0001", title="t", summary="", incident_type="outage",
                            severity="SEV2", declared_by=ALICE, at=T0,
                            policy=load_organisation(ROOT / "config" / "organisation.toml"))


async def test_stakeholders_of_the_severity_are_mailed_on_declaration_and_resolution(
        inbox: Inbox, policy: OrganisationPolicy, clock: FixedClock) -> None:
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          notifier=RecordingNotifier(), mailer=mailer(inbox.port))
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV1", actor=ALICE, roles={"commander": ALICE},
        services=("checkout",)))
    await container.bus.drain()
    clock.at = T0 + timedelta(minutes=95)
    await container.bus.handle(commands.Resolve(incident.id, "Rolled back <release 42>", ALICE,
                                                override_reason="test"))
    await container.bus.drain()
    # (The commander also hears that the postmortem is theirs: tests/unit/test_postmortem_reminders.py.)
    declared, resolved = [m for m in inbox.messages if "postmortem" not in m.message["Subject"]
                          and "Response plan" not in m.message["Subject"]]  # the role holders' own mail
    # SEV1's audiences in the shipped configuration: executives, engineering and support.
    assert sorted(declared.envelope_to) == ["engineering@contoso.example", "leadership@contoso.example",
                                            "support-leads@contoso.example"]
    assert declared.message["Subject"] == f"[{incident.id}] SEV1 declared: Checkout failing"
    assert "Commander: Alice Martin" in declared.part("plain")
    assert resolved.message["Subject"] == f"[{incident.id}] SEV1 resolved: Checkout failing"
    assert "1 h 35 min after it was declared" in resolved.part("plain")
    assert "Rolled back &lt;release 42&gt;" in resolved.part("html")
    await container.aclose()


async def test_a_security_incident_mails_stakeholders_without_details(
        inbox: Inbox, policy: OrganisationPolicy, clock: FixedClock) -> None:
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          notifier=RecordingNotifier(), mailer=mailer(inbox.port))
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Ransomware on the file server", incident_type="security", severity="SEV1", actor=ALICE,
        roles={"commander": ALICE}, private=True))
    await container.bus.drain()
    [declared] = [m for m in inbox.messages if "Response plan" not in m.message["Subject"]]
    assert declared.message["Subject"] == f"[{incident.id}] SEV1 declared: security incident"
    assert "Ransomware" not in declared.part("plain") and "Ransomware" not in declared.part("html")
    await container.aclose()
