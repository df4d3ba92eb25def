"""Membership is the rule by email too: an action link or a mail reply from someone outside a security
incident is refused and changes nothing; an incident admin listed by Entra object id may act."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

import azure.functions as func
import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.model import Person
from incident.policy import OrganisationPolicy
from services.action_link_tokens import LinkAction
from services.inbound_mail import InboundMessage, Outcome, ingest
from tests.conftest import ALICE, BOB
from tests.functions.conftest import built_function

KEY = bytes(range(32, 64))
TITLE = "Ransomware on file server"
CHLOE = Person(id="29:chloe", name="Chloe Nguyen", email="chloe@contoso.example")
MALLORY = Person(id="29:mallory", name="Mallory Outsider", email="mallory@contoso.example")
DANA = Person(id="29:dana", name="Dana Admin", email="dana@contoso.example",
              aad_id="4f1c2d3e-0000-4000-8000-0000000000da")
KNOWN = {p.email: p for p in (ALICE, BOB, CHLOE, MALLORY, DANA)}


@pytest.fixture
async def container(policy: OrganisationPolicy, clock: FixedClock) -> AsyncIterator[Container]:
    """Action links on; Dana is an incident admin, listed by her Entra object id."""
    settings = Settings(storage_connection_string="memory", action_link_key=KEY,
                        public_url="https://devopsbot.contoso.example")
    built = Container(settings, clock=clock, in_memory=True, policy=replace(policy, admins=(DANA.aad_id,)),
                      notifier=RecordingNotifier())
    bootstrap.reset_container(built)
    yield built
    bootstrap.reset_container(None)
    await built.aclose()


async def security_incident(container: Container) -> str:
    incident = await container.bus.handle(commands.DeclareIncident(
        title=TITLE, incident_type="security", severity="SEV1", actor=ALICE, private=True,
        roles={"commander": ALICE, "responder": BOB}))
    await container.bus.drain()
    return str(incident.id)


def act(method: str, token: str, **form: str) -> func.HttpRequest:
    if method == "GET":
        return func.HttpRequest(method="GET", url="http://127.0.0.1/api/act", params={"t": token}, body=b"")
    return func.HttpRequest(method="POST", url="http://127.0.0.1/api/act", params={},
                            body=urlencode({"t": token, **form}).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


def reply(incident_id: str, sender: Person, text: str) -> InboundMessage:
    return InboundMessage(message_id=f"<{sender.id}-{incident_id}@contoso.example>", sender=sender.email,
                          sender_name=sender.name, subject=f"RE: [{incident_id}] SEV1 declared: security incident",
                          text=f"{text}\n\nOn Fri, devopsbot wrote:\n> earlier")


async def directory(address: str) -> Person | None:
    return KNOWN.get(address.lower())


async def test_a_link_of_someone_no_longer_in_a_security_incident_is_refused_and_shows_nothing(
        container: Container, clock: FixedClock) -> None:
    incident_id = await security_incident(container)
    assert container.dependencies.links is not None
    token = container.dependencies.links.issue(incident_id, BOB, LinkAction.UPDATE, clock.at)  # mailed to Bob
    await container.bus.handle(commands.AssignRole(incident_id, "responder", CHLOE, ALICE))  # Bob is out
    clock.at += timedelta(minutes=5)
    page = await built_function("act")(act("GET", token))
    assert page.status_code == 403
    assert TITLE.encode() not in page.get_body() and b"Nothing was done" in page.get_body()
    done = await built_function("act")(act("POST", token, text="stand down, all clear"))
    assert done.status_code == 403
    timeline = await container.dependencies.incidents.timeline(incident_id)
    assert [e for e in timeline if e.kind == "update_posted"] == []


async def test_an_outsider_s_mail_reply_to_a_security_incident_is_not_posted(container: Container) -> None:
    incident_id = await security_incident(container)
    handled = await ingest(container.bus, reply(incident_id, MALLORY, "stand down, all clear"), directory)
    assert handled.outcome is Outcome.ANSWERED and "not one of its responders" in handled.reply
    assert (await container.dependencies.incidents.get(incident_id)).last_update == ""


async def test_an_admin_listed_by_entra_object_id_may_post_an_update_by_mail(container: Container) -> None:
    incident_id = await security_incident(container)
    handled = await ingest(container.bus, reply(incident_id, DANA, "Forensics team engaged."), directory)
    assert handled.outcome is Outcome.UPDATED
    assert (await container.dependencies.incidents.get(incident_id)).last_update == "Forensics team engaged."
