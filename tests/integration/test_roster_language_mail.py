"""A person the roster says is French is mailed in French when a role moves to them (over a real SMTP server),
and the roster keeps their language on the in-memory store and on Azurite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from adapters.smtp_mailer import SmtpMailer
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.model import Person
from incident.policy import OrganisationPolicy
from services.ports import RosterEntry
from services.timers import run_tick
from tests.conftest import ALICE, unique_prefix
from tests.support.smtp import Inbox, smtp_server

BOB = Person("29:bob", "Bob Durand", "bob@contoso.example", language="fr")


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture(params=["memory", pytest.param("azurite", marks=pytest.mark.azurite)])
async def container(request: pytest.FixtureRequest, policy: OrganisationPolicy, clock: FixedClock,
                    inbox: Inbox) -> AsyncIterator[Container]:
    mailer = SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example")
    settings = (Settings(storage_connection_string="memory") if request.param == "memory" else
                Settings(storage_connection_string=request.getfixturevalue("azurite"), table_prefix=unique_prefix()))
    built = Container(settings, clock=clock, in_memory=request.param == "memory", policy=policy,
                      notifier=RecordingNotifier(), mailer=mailer)
    yield built
    await built.aclose()


async def test_the_roster_keeps_a_persons_language(container: Container) -> None:
    await container.dependencies.roster.put(RosterEntry("checkout", "commander", BOB))
    entry = await container.dependencies.roster.get("checkout", "commander")
    assert entry is not None and entry.primary is not None and entry.primary.language == "fr"


async def test_a_french_roster_person_gets_the_escalation_mail_in_french(container: Container, clock: FixedClock,
                                                                        inbox: Inbox) -> None:
    await container.dependencies.roster.put(RosterEntry("checkout", "commander", BOB))
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV2", actor=ALICE, roles={"commander": ALICE},
        services=("checkout",)))
    await container.bus.drain()
    clock.at += timedelta(minutes=15)
    await run_tick(container.bus, clock.at)
    await container.bus.drain()
    [mail] = [m for m in inbox.messages if m.envelope_to == [BOB.email]]
    assert mail.message["Subject"] == f"[{incident.id}] Vous êtes maintenant Incident commander : Checkout failing"
    assert "Vous êtes désormais" in mail.part("plain")
    stored = await container.dependencies.incidents.get(incident.id)
    holder = stored.holder("commander")
    assert holder is not None and holder.language == "fr"  # stored with the incident as the roster says
