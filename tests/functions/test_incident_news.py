"""Severity changes are news, and every email finds its way back: through the Bot Framework protocol (the
connector double) with email recorded as sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from services.ports import Email
from tests.functions.test_private_spaces import declare_security
from tests.functions.test_teams_conversation import click, declared_id, form, threads
from tests.support.connector import ConnectorDouble

PAGE = "http://127.0.0.1:7071/api/incidents/{id}/document?format=html"
DASHBOARD = "http://127.0.0.1:7071/api/dashboard"


@pytest.fixture
async def mailing(policy: OrganisationPolicy, clock: FixedClock,
                  connector: ConnectorDouble) -> AsyncIterator[RecordingMailer]:
    """The process's container, Teams through the connector double, email recorded."""
    mailer = RecordingMailer()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True,
                          policy=policy, mailer=mailer)
    bootstrap.reset_container(container)
    yield mailer
    bootstrap.reset_container(None)
    await container.aclose()


async def declare(**overrides: str) -> str:
    return declared_id(await click("declare.submit", form(**overrides)))


def parts(mail: Email) -> tuple[str, str]:
    return mail.text, mail.html


async def test_every_mail_about_an_incident_links_to_its_thread_its_page_and_the_dashboard(
        mailing: RecordingMailer, connector: ConnectorDouble) -> None:
    incident_id = await declare(severity="SEV1")
    space, _ = threads(connector)
    deep_link = f"https://teams.microsoft.com/l/message/team-id/{space.activity_id}?"
    subjects = {mail.subject for mail in mailing.sent}
    assert f"[{incident_id}] SEV1 declared: Checkout failing" in subjects  # the stakeholders'
    assert any(s.startswith(f"[{incident_id}] Response plan") for s in subjects)  # the role holders'
    for mail in mailing.sent:
        for part in parts(mail):
            assert deep_link in part.replace("&amp;", "&"), (mail.subject, part)
            assert f"parentMessageId={space.activity_id}" in part
            assert PAGE.format(id=incident_id) in part.replace("&amp;", "&"), mail.subject
            assert DASHBOARD in part, mail.subject


async def test_a_security_incidents_mail_links_to_its_page_but_tells_outsiders_nothing(
        mailing: RecordingMailer, connector: ConnectorDouble) -> None:
    await declare_security()
    [stakeholders] = [m for m in mailing.sent if "declared" in m.subject and len(m.to) > 1]
    for part in parts(stakeholders):
        assert PAGE.format(id="INC-2026-0001") in part.replace("&amp;", "&")
        assert DASHBOARD in part
        assert "Ransomware" not in part and "Shares encrypted" not in part
