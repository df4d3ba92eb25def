"""Each person is mailed in their own language (issue #19, "Locale everywhere"): stakeholders by the organisation
file's ``language``, Teams users by the locale of their own activities, and the action-link page behind a mail's
link in the language of that mail. Over a real SMTP server."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import azure.functions as func
import pytest

from adapters.clock import FixedClock
from adapters.smtp_mailer import SmtpMailer
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.organisation import load_organisation
from devopsbot.settings import Settings
from incident.model import Person
from services.ports import RosterEntry
from services.timers import run_tick
from tests.conftest import ROOT
from tests.functions.conftest import built_function, teams_message
from tests.functions.test_teams_conversation import click, form, send
from tests.support.connector import ConnectorDouble
from tests.support.smtp import Inbox, Received, smtp_server

KEY = bytes(range(32, 64))
BOB = Person("29:bob", "Bob Durand", "bob@contoso.example")
ENGINEERING, SUPPORT = "engineering@contoso.example", "support-leads@contoso.example"


def organisation(tmp_path: Path, audience: str, language: str) -> Path:
    """The shipped organisation file with ``language`` said for one audience."""
    text = (ROOT / "config" / "organisation.toml").read_text(encoding="utf-8")
    heading = f"[audiences.{audience}]\n"
    assert heading in text
    path = tmp_path / "organisation.toml"
    path.write_text(text.replace(heading, f'{heading}language = "{language}"\n'), encoding="utf-8")
    return path


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


async def started(inbox: Inbox, clock: FixedClock, organisation_file: Path | None = None) -> Container:
    policy = load_organisation(organisation_file or ROOT / "config" / "organisation.toml")
    container = Container(Settings(storage_connection_string="memory", action_link_key=KEY), clock=clock,
                          in_memory=True, policy=policy,
                          mailer=SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example"))
    bootstrap.reset_container(container)
    STARTED.append(container)
    return container


STARTED: list[Container] = []


@pytest.fixture
async def stopped() -> AsyncIterator[None]:
    yield
    bootstrap.reset_container(None)
    while STARTED:
        await STARTED.pop().aclose()


def mail_to(inbox: Inbox, address: str) -> list[Received]:
    return [m for m in inbox.messages if address in m.envelope_to]


async def test_a_french_and_an_english_stakeholder_each_get_the_declared_mail_in_their_language(
        inbox: Inbox, clock: FixedClock, connector: ConnectorDouble, tmp_path: Path, stopped: None) -> None:
    await started(inbox, clock, organisation(tmp_path, "engineering", "fr"))
    await click("declare.submit", form(), locale="en-US")  # an English declarer: the incident is English
    [french] = mail_to(inbox, ENGINEERING)
    [english] = mail_to(inbox, SUPPORT)
    assert french.envelope_to == [ENGINEERING] and english.envelope_to == [SUPPORT]  # one message per language
    assert french.message["Subject"].endswith("SEV2 déclaré : Checkout failing")
    assert "Tableau de bord" in french.part("plain") and "Dashboard" not in french.part("plain")
    assert english.message["Subject"].endswith("SEV2 declared: Checkout failing")
    assert "Dashboard" in english.part("plain") and "Tableau de bord" not in english.part("plain")


async def test_a_stakeholder_the_roster_says_is_french_gets_the_declared_mail_in_french(
        inbox: Inbox, clock: FixedClock, connector: ConnectorDouble, tmp_path: Path, stopped: None) -> None:
    """The roster's person_language for a person whose own address is in an audience; the others stay English."""
    text = (ROOT / "config" / "organisation.toml").read_text(encoding="utf-8")
    listed = 'emails = ["engineering@contoso.example"]'
    assert listed in text
    path = tmp_path / "organisation.toml"
    path.write_text(text.replace(listed, 'emails = ["engineering@contoso.example", "marie@contoso.example"]'),
                    encoding="utf-8")
    container = await started(inbox, clock, path)
    marie = Person("29:marie", "Marie Roux", "marie@contoso.example", language="fr")
    await container.dependencies.roster.put(RosterEntry("checkout", "scribe", marie))
    await click("declare.submit", form(), locale="en-US")
    [french] = [m for m in mail_to(inbox, marie.email) if "stakeholder" in m.part("plain")
                or "partie prenante" in m.part("plain")]
    assert french.envelope_to == [marie.email]
    assert french.message["Subject"].endswith("SEV2 déclaré : Checkout failing")
    assert "partie prenante" in french.part("plain")
    [english] = [m for m in mail_to(inbox, ENGINEERING) if "stakeholder" in m.part("plain")]
    assert sorted(english.envelope_to) == [ENGINEERING, SUPPORT]
    assert english.message["Subject"].endswith("SEV2 declared: Checkout failing")


async def test_a_french_teams_users_declaration_mails_each_stakeholder_in_their_own_language(
        inbox: Inbox, clock: FixedClock, connector: ConnectorDouble, tmp_path: Path, stopped: None) -> None:
    """Done when: a French user's stakeholder mail is in French, and an English stakeholder's in English."""
    await started(inbox, clock, organisation(tmp_path, "support", "en"))
    await click("declare.submit", form(), locale="fr-FR")
    [french] = mail_to(inbox, ENGINEERING)  # no language of its own: the incident's, the declarer's French
    [english] = mail_to(inbox, SUPPORT)
    assert french.message["Subject"].endswith("SEV2 déclaré : Checkout failing")
    assert "partie prenante" in french.part("plain") and "Tableau de bord" in french.part("html")
    assert english.message["Subject"].endswith("SEV2 declared: Checkout failing")
    assert "as a stakeholder" in english.part("plain") and "Tableau de bord" not in english.part("html")


async def escalated_to_bob(inbox: Inbox, clock: FixedClock, container: Container) -> tuple[str, Received]:
    """Bob talks to the bot from a French Teams, then an English incident's commander role moves to him."""
    await send(teams_message("help", user=("29:bob", "Bob Durand"), locale="fr-FR", expect_replies=False))
    await container.dependencies.roster.put(RosterEntry("checkout", "commander", BOB))
    await click("declare.submit", form(), locale="en-US")
    [incident] = await container.dependencies.incidents.list_open()
    assert incident.language == "en"
    clock.at += timedelta(minutes=15)  # SEV2's acknowledgement timeout: the role moves down the roster's chain
    await run_tick(container.bus, clock.at)
    await container.bus.drain()
    [mail] = mail_to(inbox, BOB.email)
    return incident.id, mail


async def test_a_teams_user_with_a_french_client_gets_the_escalation_mail_in_french(
        inbox: Inbox, clock: FixedClock, connector: ConnectorDouble, stopped: None) -> None:
    container = await started(inbox, clock)
    incident_id, mail = await escalated_to_bob(inbox, clock, container)
    assert mail.message["Subject"] == f"[{incident_id}] Vous êtes maintenant Incident commander : Checkout failing"
    text = mail.part("plain")
    assert "Vous êtes désormais Incident commander de cet incident" in text and "You are now" not in text
    assert "Accuser réception" in mail.part("html")


def act_request(method: str, token: str, headers: dict[str, str] | None = None, **form_fields: str
                ) -> func.HttpRequest:
    if method == "GET":
        return func.HttpRequest(method="GET", url=f"http://127.0.0.1/api/act?{urlencode({'t': token})}", body=b"",
                                params={"t": token}, headers=headers or {})
    return func.HttpRequest(method="POST", url="http://127.0.0.1/api/act", body=urlencode(
        {"t": token, **form_fields}).encode(), headers={"Content-Type": "application/x-www-form-urlencoded"})


def link_token(mail: Received) -> str:
    """The acknowledge link's token, from the plain-text part of the mail."""
    [url] = [word for word in mail.part("plain").split() if "/api/act?" in word and "Accuser" not in word][:1]
    return parse_qs(urlparse(url).query)["t"][0]


def with_language(token: str, language: str) -> str:
    """The token with its language claim changed and its signature kept: a tampered link."""
    body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["l"] = language
    raw = json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") + "." + signature


async def test_the_action_page_of_a_french_persons_mail_is_in_french_and_its_language_cannot_be_changed(
        inbox: Inbox, clock: FixedClock, connector: ConnectorDouble, stopped: None) -> None:
    container = await started(inbox, clock)
    incident_id, mail = await escalated_to_bob(inbox, clock, container)
    token = link_token(mail)
    act = built_function("act")
    page = await act(act_request("GET", token))
    html = page.get_body().decode()
    assert page.status_code == 200 and page.headers["Content-Language"] == "fr"
    assert '<html lang="fr">' in html and "Accuser réception de l&#39;incident" in html
    assert "Vous agissez en tant que" in html and "You are acting as" not in html
    for changed in (with_language(token, "en"), with_language(token, "de")):
        refused = await act(act_request("POST", changed))
        assert refused.status_code == 400 and "Nothing was done" in refused.get_body().decode()
    # Until its signature is good, a link's page follows the browser: a French browser reads the refusal in French.
    refused = await act(act_request("GET", with_language(token, "en"), {"Accept-Language": "fr-FR,fr;q=0.9"}))
    assert refused.status_code == 400 and "Rien n&#39;a été fait" in refused.get_body().decode()
    assert (await container.dependencies.incidents.get(incident_id)).acknowledged_at is None
    done = await act(act_request("POST", token))
    assert done.status_code == 200 and "Réception accusée" in done.get_body().decode()
    assert (await container.dependencies.incidents.get(incident_id)).acknowledged_at is not None
