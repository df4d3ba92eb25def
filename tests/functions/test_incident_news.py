"""Severity changes are news, and every email finds its way back: through the Bot Framework protocol (the
connector double) with email recorded as sent."""

from __future__ import annotations

from datetime import timedelta

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer
from devopsbot import bootstrap
from incident import commands
from services.ports import Email
from services.timers import run_tick
from tests.conftest import ALICE
from tests.functions.test_private_spaces import assert_nothing_shared, declare_security, mailing
from tests.functions.test_teams_conversation import click, declared_id, form, say, threads
from tests.support.connector import ConnectorDouble, Sent

PAGE = "http://127.0.0.1:7071/api/incidents/{id}/document?format=html"
DASHBOARD = "http://127.0.0.1:7071/api/dashboard"

__all__ = ["mailing"]  # a fixture, imported for these tests


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


def told_in(connector: ConnectorDouble, thread: Sent) -> list[str]:
    """The texts of the messages the bot sent into ``thread`` after opening it."""
    return [str(m.activity.get("text", "")) for m in connector.messages()
            if m.conversation_id == thread.conversation_id]


async def test_raising_severity_is_said_in_the_broadcast_thread_and_mailed_to_the_audiences_it_adds(
        mailing: RecordingMailer, connector: ConnectorDouble) -> None:
    incident_id = await declare(severity="SEV3")  # SEV3 tells support only
    before = len(mailing.sent)
    assert (await say(f"severity {incident_id} SEV1 spreading"))["text"] == f"{incident_id} is now SEV1."
    _, announcement = threads(connector)
    assert told_in(connector, announcement) == [
        f"{incident_id} is now **SEV1** (severity raised from SEV3): Checkout failing"]
    [news] = mailing.sent[before:]
    # SEV1 adds executives and engineering; support heard of it at the declaration already.
    assert news.to == ("leadership@contoso.example", "engineering@contoso.example")
    assert news.subject == f"[{incident_id}] SEV1 severity raised from SEV3: Checkout failing"
    space, _ = threads(connector)
    for part in parts(news):
        assert "raised from SEV3 to SEV1" in part and "Card payments time out" in part
        assert f"https://teams.microsoft.com/l/message/team-id/{space.activity_id}?" in part
        assert PAGE.format(id=incident_id) in part.replace("&amp;", "&") and DASHBOARD in part


async def test_lowering_severity_is_one_line_in_the_broadcast_thread_and_no_mail(
        mailing: RecordingMailer, connector: ConnectorDouble) -> None:
    incident_id = await declare(severity="SEV1")
    before = len(mailing.sent)
    await say(f"severity {incident_id} SEV3")
    _, announcement = threads(connector)
    assert told_in(connector, announcement) == [f"{incident_id} is now SEV3 (severity lowered from SEV1)."]
    assert mailing.sent[before:] == []


async def test_severity_news_is_in_the_incidents_language(
        mailing: RecordingMailer, connector: ConnectorDouble) -> None:
    answer = await click("declare.submit", form(severity="SEV2"), locale="fr-FR")
    [incident_id] = [word for word in str(answer["value"]["body"][0]["text"]).split() if word.startswith("INC-")]
    before = len(mailing.sent)
    await say(f"severity {incident_id} SEV1", locale="fr-FR")
    _, announcement = threads(connector)
    assert told_in(connector, announcement) == [
        f"{incident_id} passe en **SEV1** (gravité relevée, auparavant SEV2) : Checkout failing"]
    [news] = mailing.sent[before:]
    assert news.to == ("leadership@contoso.example",)
    assert news.subject == f"[{incident_id}] SEV1 gravité relevée, auparavant SEV2 : Checkout failing"
    for part in parts(news):
        assert "L'incident passe de SEV2 à SEV1." in part.replace("&#39;", "'")
        assert "Page de l'incident" in part.replace("&#39;", "'")


async def test_a_security_incidents_raise_says_nothing_in_broadcast_and_mails_no_details(
        mailing: RecordingMailer, connector: ConnectorDouble) -> None:
    await declare_security(severity="SEV3")
    before = len(mailing.sent)
    container = bootstrap.get_container()
    await container.bus.handle(commands.ChangeSeverity("INC-2026-0001", "SEV1", ALICE))
    await container.bus.drain()
    assert_nothing_shared(connector)
    [news] = [m for m in mailing.sent[before:] if len(m.to) > 1]
    assert news.subject == "[INC-2026-0001] SEV1 severity raised from SEV3: security incident"
    for part in parts(news):
        assert "Ransomware" not in part and "Shares encrypted" not in part
        assert "A security incident was raised from SEV3 to SEV1" in part
        assert PAGE.format(id="INC-2026-0001") in part.replace("&amp;", "&")


async def test_when_teams_is_down_the_audiences_are_mailed_anyway_and_the_line_follows_once(
        mailing: RecordingMailer, connector: ConnectorDouble, clock: FixedClock) -> None:
    incident_id = await declare(severity="SEV3")
    container = bootstrap.get_container()
    health = container.dependencies.health
    assert health is not None
    await health.set_down(clock.now(), "Dana Admin", "Teams outage")
    clock.at = clock.now() + timedelta(minutes=1)  # the notifier looks at the flag again
    before = len(mailing.sent)
    await container.bus.handle(commands.ChangeSeverity(incident_id, "SEV1", ALICE))
    await container.bus.drain()
    _, announcement = threads(connector)
    assert told_in(connector, announcement) == []
    news = [m for m in mailing.sent[before:] if "severity raised" in m.subject]
    assert [m.to for m in news] == [("leadership@contoso.example", "engineering@contoso.example")]
    await health.set_up(clock.now(), "Dana Admin")
    for minutes in (5, 15, 30):  # the retried reactions, then later ticks and the outbox sweep
        clock.at = clock.now() + timedelta(minutes=minutes)
        await run_tick(container.bus, clock.at)
    assert told_in(connector, announcement) == [
        f"{incident_id} is now **SEV1** (severity raised from SEV3): Checkout failing"]
    assert [m for m in mailing.sent[before:] if "severity raised" in m.subject] == news


async def test_without_an_announcement_the_news_is_a_new_message_in_broadcast(
        mailing: RecordingMailer, connector: ConnectorDouble) -> None:
    container = bootstrap.get_container()
    # Declared before the bot knew any team (from the CLI, say): nothing could be announced yet.
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE}))
    await container.bus.drain()
    assert connector.messages("thread") == []
    await say("help")  # now the bot knows its team
    await container.bus.handle(commands.ChangeSeverity(incident.id, "SEV2", ALICE))
    await container.bus.drain()
    [news] = [s for s in connector.messages("thread") if s.conversation_id.startswith("channel-broadcast;")]
    assert news.activity["text"] == f"{incident.id} is now **SEV2** (severity raised from SEV3): Checkout failing"
