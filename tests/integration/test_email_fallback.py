"""When Teams fails, email carries the incident: to the people each message was for, once, with links
that act on the incident exactly as Teams would. Real SMTP (aiosmtpd); memory and Azurite storage."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import azure.functions as func
import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from adapters.smtp_mailer import SmtpMailer
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.policy import OrganisationPolicy
from services.timers import run_tick
from tests.conftest import ALICE, BOB, unique_prefix
from tests.functions.conftest import built_function
from tests.support.smtp import Inbox, smtp_server

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
KEY = bytes(range(32, 64))
DOWN = 10**6  # RecordingNotifier fails this many calls: Teams is down until the test says otherwise


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture(params=["memory", pytest.param("azurite", marks=pytest.mark.azurite)])
async def container(request: pytest.FixtureRequest, inbox: Inbox, policy: OrganisationPolicy,
                    clock: FixedClock) -> AsyncIterator[Container]:
    mailer = SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example")
    common = {"action_link_key": KEY, "public_url": "https://devopsbot.contoso.example"}
    if request.param == "memory":
        settings = Settings(storage_connection_string="memory", **common)  # type: ignore[arg-type]
        built = Container(settings, clock=clock, in_memory=True, policy=policy, notifier=RecordingNotifier(),
                          mailer=mailer)
    else:
        settings = Settings(storage_connection_string=request.getfixturevalue("azurite"),  # type: ignore[arg-type]
                            table_prefix=unique_prefix(), **common)
        built = Container(settings, clock=clock, policy=policy, notifier=RecordingNotifier(), mailer=mailer)
    bootstrap.reset_container(built)
    yield built
    bootstrap.reset_container(None)
    await built.aclose()


def teams(container: Container) -> RecordingNotifier:
    notifier = container.teams_notifier
    assert isinstance(notifier, RecordingNotifier)
    return notifier


async def declare(container: Container) -> str:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE,
        roles={"commander": ALICE}, invitees=(BOB,), services=("checkout",)))
    await container.bus.drain()
    return str(incident.id)


def to(inbox: Inbox, address: str, subject: str = " declared: ") -> list[str]:
    """The text of the mails to ``address`` whose subject holds ``subject``."""
    return [m.part("plain") for m in inbox.messages
            if m.envelope_to == [address] and subject in str(m.message["Subject"])]


def link(text: str, label: str) -> str:
    found = re.search(rf"{label}: (\S+)", text)
    assert found, f"no {label} link in:\n{text}"
    return found.group(1)


def act(method: str, url: str, form: dict[str, str | list[str]] | None = None) -> func.HttpRequest:
    token = parse_qs(urlsplit(url).query)["t"][0]
    if method == "GET":
        return func.HttpRequest(method="GET", url=url, headers={}, params={"t": token}, route_params={}, body=b"")
    body = urlencode({"t": token, **(form or {})}, doseq=True).encode()
    return func.HttpRequest(method="POST", url=url, headers={"Content-Type": "application/x-www-form-urlencoded"},
                            params={}, route_params={}, body=body)


async def test_a_declaration_teams_could_not_deliver_is_mailed_to_each_person_it_was_for(
        container: Container, inbox: Inbox) -> None:
    teams(container).failures = DOWN
    await declare(container)
    [alice] = to(inbox, "alice@contoso.example")
    [bob] = to(inbox, "bob@contoso.example")
    assert "declared" in alice and "Checkout failing" in alice and "Incident commander: Alice Martin" in alice
    # Each with their own links: Alice commands, so she may also resolve; Bob may acknowledge and update.
    assert {"Acknowledge", "Post an update", "Resolve"} <= set(re.findall(r"^  (\w[\w ]*?): https", alice, re.M))
    assert set(re.findall(r"^  (\w[\w ]*?): https", bob, re.M)) == {"Acknowledge", "Post an update"}


async def test_retrying_through_teams_mails_nobody_twice_and_teams_catches_up(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    teams(container).failures = DOWN
    incident_id = await declare(container)
    mailed = len(inbox.messages)
    clock.at = T0 + timedelta(minutes=2)
    await run_tick(container.bus, clock.at)  # Teams still down: the retry fails again
    assert len(inbox.messages) == mailed
    teams(container).failures = 0
    clock.at = T0 + timedelta(minutes=12)
    await run_tick(container.bus, clock.at)
    assert teams(container).told("declared") == [incident_id]
    assert len(inbox.messages) == mailed


async def test_teams_marked_down_by_an_admin_is_not_tried_and_email_carries_updates(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    incident_id = await declare(container)
    assert container.dependencies.health is not None
    await container.dependencies.health.set_down(clock.at, "Dana Admin", "Teams outage")
    clock.at += timedelta(minutes=1)  # the flag is read again at most 15 s after it was last read
    before = len(teams(container).calls)
    await container.bus.handle(commands.PostUpdate(incident_id, "Rolled back to 41", BOB))
    await container.bus.drain()
    assert len(teams(container).calls) == before  # not even tried
    [update] = to(inbox, "alice@contoso.example", " status update: ")
    assert "Rolled back to 41" in update


async def test_an_acknowledge_link_acts_once_as_its_person_and_lands_in_the_timeline(
        container: Container, inbox: Inbox) -> None:
    teams(container).failures = DOWN
    incident_id = await declare(container)
    url = link(to(inbox, "bob@contoso.example")[0], "Acknowledge")
    assert url.startswith("https://devopsbot.contoso.example/api/act?t=")
    page = await built_function("act")(act("GET", url))
    assert page.status_code == 200 and b"Acknowledge" in page.get_body()
    assert (await container.dependencies.incidents.get(incident_id)).acknowledged_at is None  # looking does nothing
    done = await built_function("act")(act("POST", url))
    assert done.status_code == 200 and b"Acknowledged" in done.get_body()
    stored = await container.dependencies.incidents.get(incident_id)
    assert stored.acknowledged_by == BOB
    [event] = [e for e in await container.dependencies.incidents.timeline(incident_id) if e.kind == "acknowledged"]
    assert event.actor == BOB
    again = await built_function("act")(act("POST", url))
    assert again.status_code == 410 and b"already been used" in again.get_body()
    assert container.dependencies.audit is not None
    [audited] = await container.dependencies.audit.on_day(T0)
    assert audited.kind == "action_link_refused" and audited.detail["problem"] == "used"
    assert audited.detail["person"] == BOB.id


async def test_an_update_link_posts_the_text_from_its_form(container: Container, inbox: Inbox) -> None:
    teams(container).failures = DOWN
    incident_id = await declare(container)
    url = link(to(inbox, "bob@contoso.example")[0], "Post an update")
    page = await built_function("act")(act("GET", url))
    assert b'<textarea id="text" name="text"' in page.get_body()
    empty = await built_function("act")(act("POST", url, {"text": "   "}))
    assert empty.status_code == 422  # refused, and the link still works
    posted = await built_function("act")(act("POST", url, {"text": "<b>DNS</b> fixed"}))
    assert posted.status_code == 200
    assert (await container.dependencies.incidents.get(incident_id)).last_update == "<b>DNS</b> fixed"


async def test_a_resolve_link_needs_the_exit_criteria_or_an_override(
        container: Container, inbox: Inbox, policy: OrganisationPolicy) -> None:
    teams(container).failures = DOWN
    incident_id = await declare(container)
    url = link(to(inbox, "alice@contoso.example")[0], "Resolve")
    page = (await built_function("act")(act("GET", url))).get_body().decode()
    criteria = [c.key for c in policy.incident_type("outage").exit_criteria]
    assert all(f'value="{key}"' in page for key in criteria)
    unmet = await built_function("act")(act("POST", url, {"text": "Rolled back", "criteria": criteria[:1]}))
    assert unmet.status_code == 422
    assert (await container.dependencies.incidents.get(incident_id)).status.value != "resolved"
    done = await built_function("act")(act("POST", url, {"text": "Rolled back", "criteria": criteria}))
    assert done.status_code == 200
    assert (await container.dependencies.incidents.get(incident_id)).status.value == "resolved"


async def test_a_tampered_or_expired_link_changes_nothing_and_is_audited(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    teams(container).failures = DOWN
    incident_id = await declare(container)
    url = link(to(inbox, "alice@contoso.example")[0], "Acknowledge")
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    refused = await built_function("act")(act("POST", tampered))
    assert refused.status_code == 400 and b"changed after devopsbot signed it" in refused.get_body()
    clock.at = T0 + timedelta(hours=25)
    expired = await built_function("act")(act("POST", url))
    assert expired.status_code == 410 and b"expired" in expired.get_body()
    assert (await container.dependencies.incidents.get(incident_id)).acknowledged_at is None
    assert container.dependencies.audit is not None
    problems = [r.detail["problem"] for r in await container.dependencies.audit.on_day(T0)]
    problems += [r.detail["problem"] for r in await container.dependencies.audit.on_day(clock.at)]
    assert problems == ["tampered", "expired"]


async def test_repeated_connector_failures_mark_teams_down_so_email_goes_first(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    teams(container).failures = DOWN
    await declare(container)  # the declaration and the missing-delegates alert: two failures
    for n in range(3):
        clock.at = T0 + timedelta(seconds=20 * (n + 1))
        await container.bus.handle(commands.PostUpdate((await container.dependencies.incidents.list_open())[0].id,
                                                       f"update {n}", ALICE))
        await container.bus.drain()
    assert container.dependencies.health is not None
    status = await container.dependencies.health.status(clock.at)
    assert status.down and status.recent_failures == 5 and not status.manual
    teams(container).failures = 0  # Teams is back, but marked down: not tried until the failures age out
    clock.at += timedelta(seconds=20)
    tried = len(teams(container).calls)
    incident_id = (await container.dependencies.incidents.list_open())[0].id
    await container.bus.handle(commands.PostUpdate(incident_id, "update 3", ALICE))
    await container.bus.drain()
    assert len(teams(container).calls) == tried
    assert len(to(inbox, "alice@contoso.example", " status update: ")) == 4
    clock.at += timedelta(minutes=11)  # the failures age out: Teams is tried again and works
    await run_tick(container.bus, clock.at)
    assert len(teams(container).calls) > tried


async def test_a_link_whose_use_was_interrupted_works_again_after_a_short_lease(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    from services.action_link_tokens import nonce_key
    from services.action_link_use import USED_RECORD_LEASE

    teams(container).failures = DOWN
    incident_id = await declare(container)
    url = link(to(inbox, "bob@contoso.example")[0], "Acknowledge")
    token = parse_qs(urlsplit(url).query)["t"][0]
    assert container.dependencies.links is not None
    claims = container.dependencies.links.verify(token, clock.at)
    # The process claimed the link, then stopped before acting or recording the use.
    await container.dependencies.idempotency.begin(nonce_key(claims), clock.at, USED_RECORD_LEASE)
    assert (await built_function("act")(act("POST", url))).status_code == 410  # another request may be at it
    clock.at += USED_RECORD_LEASE + timedelta(seconds=1)
    assert (await built_function("act")(act("POST", url))).status_code == 200
    assert (await container.dependencies.incidents.get(incident_id)).acknowledged_by == BOB
