"""The weekly leadership digest: a card in the leadership channel and an email (real SMTP) with the chart."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from adapters.smtp_mailer import SmtpMailer
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from devopsbot.weekly_digest import send_weekly_digest
from incident import commands
from incident import postmortem_commands as pc
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE, OUTAGE_CRITERIA
from tests.support.smtp import Inbox, Received, smtp_server
from tests.unit.postmortem_fixtures import CHLOE, HOSTILE


class RecordingPoster:
    def __init__(self) -> None:
        self.posted: list[tuple[str, dict[str, Any]]] = []

    async def post_card(self, channel: str, card: Mapping[str, Any]) -> None:
        self.posted.append((channel, dict(card)))


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture
async def container(inbox: Inbox, policy: OrganisationPolicy, clock: FixedClock) -> Container:
    built = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                      notifier=RecordingNotifier(),
                      mailer=SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example"))
    incident = await built.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV1", actor=ALICE, roles={"commander": ALICE}))
    clock.advance(timedelta(hours=2))
    await built.bus.handle(commands.Resolve(incident.id, "Rolled back", ALICE, OUTAGE_CRITERIA))
    await built.bus.handle(pc.AddFollowUp(incident.id, f"Canary covers payments {HOSTILE}", CHLOE, ALICE,
                                          due_at=clock.now() + timedelta(days=1)))
    await built.bus.handle(commands.DeclareIncident(
        title="Search slow", incident_type="outage", severity="SEV3", actor=ALICE))
    await built.bus.drain()
    clock.advance(timedelta(days=4))  # the follow-up is now three days late
    return built


def digests(inbox: Inbox) -> list[Received]:
    """The digest mails (the incidents above also mailed their stakeholders)."""
    return [m for m in inbox.messages if str(m.message["Subject"]).startswith("Weekly incident digest")]


def card_text(card: dict[str, Any]) -> str:
    return " ".join(str(item.get("text", "")) for item in card["body"])


async def test_the_digest_card_goes_to_the_leadership_channel(container: Container) -> None:
    poster = RecordingPoster()
    outcome = await send_weekly_digest(container, poster=poster)
    assert outcome.sent and outcome.posted
    [(channel, card)] = poster.posted
    assert channel == "broadcast"  # no leadership_channel configured: the first broadcast channel
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Incidents declared"] == "2"
    assert facts["By severity"] == "SEV1: 1, SEV3: 1"
    assert facts["Time to resolve (mean / median)"] == "2 h 00 min / 2 h 00 min"
    assert facts["Follow-ups past due (all incidents)"] == "1"
    assert "**Chloe Nguyen**: INC-2026-0001 #1 Canary covers payments" in card_text(card)
    assert "(3 d late)" in card_text(card)
    assert "<script>" not in card_text(card) and "\\<script\\>" in card_text(card)
    [image] = [item for item in card["body"] if item["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,iVBORw0KGgo")


async def test_the_digest_email_carries_the_figures_the_owners_and_the_chart_inline(
        container: Container, inbox: Inbox, policy: OrganisationPolicy) -> None:
    await send_weekly_digest(container, poster=RecordingPoster())
    [mail] = digests(inbox)
    assert mail.envelope_to == list(policy.escalation.leadership_emails)
    text = mail.part("plain").replace("\r\n", "\n")
    assert "Incidents declared: 2" in text
    assert "Chloe Nguyen:\n    INC-2026-0001 #1 Canary covers payments" in text and "(3 days late)" in text
    html = mail.part("html")
    assert '<img src="cid:weekly-chart"' in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    [chart] = [p for p in mail.message.walk() if p.get_content_type() == "image/png"]
    assert chart["Content-ID"] == "<weekly-chart>"
    payload = chart.get_payload(decode=True)
    assert isinstance(payload, bytes) and payload.startswith(b"\x89PNG")


async def test_the_digest_chart_gives_the_median_as_the_figures_do_and_a_png_teams_accepts(
        container: Container, inbox: Inbox) -> None:
    poster = RecordingPoster()
    await send_weekly_digest(container, poster=poster)
    [mail] = digests(inbox)
    text = mail.part("plain").replace("\r\n", "\n")
    assert "Chart: Incidents per week and median time to resolve (in hours)." in text
    assert "2026-W48: 2 declared, median 2 h 00 min to resolve;" in text  # as "Time to resolve" says
    [(_, card)] = poster.posted
    assert len(json.dumps(card).encode()) < 28_000  # Teams refuses a larger card
    [image] = [item for item in card["body"] if item["type"] == "Image"]
    png = base64.b64decode(image["url"].removeprefix("data:image/png;base64,"))
    with Image.open(io.BytesIO(png)) as decoded:
        assert decoded.format == "PNG" and decoded.size == (720, 456)


async def test_a_second_run_in_the_same_week_sends_nothing(container: Container, inbox: Inbox) -> None:
    poster = RecordingPoster()
    await send_weekly_digest(container, poster=poster)
    again = await send_weekly_digest(container, poster=poster)
    assert not again.sent
    assert len(poster.posted) == len(digests(inbox)) == 1


async def test_a_french_organisations_digest_email_is_in_french(
        inbox: Inbox, policy: OrganisationPolicy, clock: FixedClock) -> None:
    from dataclasses import replace

    french = replace(policy, language="fr")
    built = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=french,
                      notifier=RecordingNotifier(),
                      mailer=SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example"))
    incident = await built.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV1", actor=ALICE, roles={"commander": ALICE}))
    await built.bus.handle(commands.Resolve(incident.id, "Rolled back", ALICE, OUTAGE_CRITERIA))
    await built.bus.handle(pc.AddFollowUp(incident.id, "Canary covers payments", CHLOE, ALICE,
                                          due_at=clock.now() + timedelta(days=1)))
    await built.bus.drain()
    clock.advance(timedelta(days=4))
    await send_weekly_digest(built, poster=RecordingPoster())
    [mail] = [m for m in inbox.messages if str(m.message["Subject"]).startswith("Bilan hebdomadaire des incidents")]
    text = mail.part("plain").replace("\r\n", "\n")
    assert "Incidents déclarés : 1" in text and "7 derniers jours :" in text and "(3 jours de retard)" in text
    assert "Chloe Nguyen :\n    INC-2026-0001 #1 Canary covers payments, pour le" in text
    assert "Graphique :" in text and "Tableau de bord :" in text
    html = mail.part("html")
    assert '<html lang="fr">' in html and "Ouvrir le tableau de bord" in html
    for part in (text, html):
        assert "Weekly" not in part and "days late" not in part and "Incidents declared" not in part
