"""Stakeholder subscriptions, from the status page's form to the subscriber's inbox: double opt-in through a
mailed link, public updates mailed to confirmed subscribers only (with RFC 8058 one-click unsubscribe), and
every bad link refused with a page. Real SMTP (aiosmtpd); memory and Azurite storage."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import azure.functions as func
import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from adapters.memory_status_files import MemoryStatusFiles
from adapters.smtp_mailer import SmtpMailer
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.errors import NotificationFailed, NotPermitted
from incident.model import Status
from incident.policy import OrganisationPolicy
from services.action_link_tokens import ActionLinkSigner, LinkAction
from services.handlers import apply_change
from services.ports import Email
from services.subscriber_mail import mail_subscribers
from services.subscription_tokens import Purpose
from services.timers import run_tick
from tests.conftest import ALICE, unique_prefix
from tests.functions.conftest import built_function
from tests.support.smtp import Inbox, Received, smtp_server

KEY = bytes(range(32, 64))
BASE = "https://devopsbot.contoso.example"
ADDRESS = "ana.martin@example.com"
FUNCTIONS = {"/api/status/confirm": "confirm_subscription", "/api/status/unsubscribe": "unsubscribe_link"}


class FlakyMailer(SmtpMailer):
    """Real SMTP, except the sends numbered in ``fail_on`` (counted from 1), which fail as a dropped connection."""

    def __init__(self, port: int) -> None:
        super().__init__(host="127.0.0.1", port=port, sender="status@contoso.example")
        self.sends, self.fail_on = 0, set[int]()

    async def send(self, email: Email) -> None:
        self.sends += 1
        if self.sends in self.fail_on:
            raise NotificationFailed("the mail server dropped the connection")
        await super().send(email)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture(params=["memory", pytest.param("azurite", marks=pytest.mark.azurite)])
async def container(request: pytest.FixtureRequest, inbox: Inbox, policy: OrganisationPolicy,
                    clock: FixedClock) -> AsyncIterator[Container]:
    common = {"action_link_key": KEY, "public_url": BASE}
    options = {"clock": clock, "policy": policy, "notifier": RecordingNotifier(), "mailer": FlakyMailer(inbox.port),
               "status_files": MemoryStatusFiles()}
    if request.param == "memory":
        settings = Settings(storage_connection_string="memory", **common)  # type: ignore[arg-type]
        built = Container(settings, in_memory=True, **options)  # type: ignore[arg-type]
    else:
        settings = Settings(storage_connection_string=request.getfixturevalue("azurite"),  # type: ignore[arg-type]
                            table_prefix=unique_prefix(), **common)
        built = Container(settings, **options)  # type: ignore[arg-type]
    bootstrap.reset_container(built)
    yield built
    bootstrap.reset_container(None)
    await built.aclose()


def http(method: str, route: str, *, params: dict[str, str] | None = None, body: bytes = b"",
         headers: dict[str, str] | None = None) -> func.HttpRequest:
    query = f"?{urlencode(params)}" if params else ""
    return func.HttpRequest(method=method, url=f"{BASE}/api/{route}{query}", headers=headers or {},
                            params=params or {}, route_params={}, body=body)


async def subscribe(address: str = ADDRESS, components: tuple[str, ...] = ("checkout",),
                    language: str = "en") -> func.HttpResponse:
    form = urlencode([("email", address), ("lang", language), *(("c", c) for c in components)]).encode()
    response: func.HttpResponse = await built_function("subscribe")(http("POST", "status/subscribe", body=form))
    return response


async def open_link(url: str, method: str = "GET", body: bytes = b"") -> func.HttpResponse:
    parts = urlsplit(url)
    function = FUNCTIONS[parts.path]
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    response: func.HttpResponse = await built_function(function)(
        http(method, parts.path.removeprefix("/api/"), params=params, body=body))
    return response


async def press(url: str) -> func.HttpResponse:
    """The page's button: POST the form the GET page shows (its hidden token) back to the link's path."""
    page = (await open_link(url)).get_body().decode()
    token = re.search(r'name="t" value="([^"]+)"', page)
    assert token, page
    return await open_link(url.split("?")[0], "POST", urlencode({"t": token.group(1)}).encode())


def mails_to(inbox: Inbox, address: str, subject: str = "") -> list[Received]:
    return [m for m in inbox.messages if m.envelope_to == [address] and subject in str(m.message["Subject"])]


def link_in(mail: Received, path: str) -> str:
    found = re.search(rf"(https://\S+{re.escape(path)}\?t=\S+)", mail.part("plain"))
    assert found, mail.part("plain")
    return found.group(1)


async def declare(container: Container, *, private: bool = False, services: tuple[str, ...] = ("checkout",)) -> str:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout DB primary lost its disk", incident_type="outage", severity="SEV1", actor=ALICE,
        roles={"commander": ALICE}, services=services, private=private))
    await container.bus.drain()
    return str(incident.id)


async def public(container: Container, incident_id: str, text: str) -> None:
    await container.bus.handle(commands.PostPublicUpdate(incident_id, text, ALICE))
    await container.bus.drain()


async def confirmed_subscriber(inbox: Inbox, address: str = ADDRESS, language: str = "en") -> None:
    assert (await subscribe(address, language=language)).status_code == 200
    [confirmation] = mails_to(inbox, address)
    assert (await press(link_in(confirmation, "/api/status/confirm"))).status_code == 200


async def test_subscribe_confirm_receive_an_update_unsubscribe_in_one_click_and_receive_no_more(
        container: Container, inbox: Inbox) -> None:
    answer = await subscribe("  Ana.Martin@Example.COM ")
    assert answer.status_code == 200 and "a message is on its way" in answer.get_body().decode()
    [confirmation] = mails_to(inbox, ADDRESS, "Confirm your subscription")
    assert "Checkout" in confirmation.part("plain") and "expires in 48 hours" in confirmation.part("plain")
    confirm_url = link_in(confirmation, "/api/status/confirm")
    assert confirm_url.startswith(f"{BASE}/api/status/confirm?t=")

    shown = await open_link(confirm_url)  # a mail scanner's GET confirms nothing
    assert shown.status_code == 200 and '<button type="submit">Confirm</button>' in shown.get_body().decode()
    incident_id = await declare(container)
    await public(container, incident_id, "Investigating errors at checkout")
    assert mails_to(inbox, ADDRESS, "Service disruption") == []  # not confirmed yet: nothing

    done = await press(confirm_url)
    assert done.status_code == 200 and "Subscribed" in done.get_body().decode()
    await public(container, incident_id, "A fix is rolling out")
    [update] = mails_to(inbox, ADDRESS, "Service disruption")
    assert "A fix is rolling out" in update.part("plain") and "Investigating errors" not in update.part("plain")
    assert "Checkout DB primary" not in update.part("plain") + update.part("html")  # never the internal title
    assert str(update.message["Subject"]) == "Service disruption · Investigating"
    unsubscribe_url = link_in(update, "/api/status/unsubscribe")
    assert str(update.message["List-Unsubscribe"]) == f"<{unsubscribe_url}>"
    # As sent: a mail client reads the URL itself, so it is neither folded nor RFC 2047-encoded.
    [raw] = [value for name, value in update.message.raw_items() if name == "List-Unsubscribe"]
    assert raw.strip() == f"<{unsubscribe_url}>", raw
    assert str(update.message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"

    body, signature = parse_qs(urlsplit(unsubscribe_url).query)["t"][0].split(".")
    forged = f"{BASE}/api/status/unsubscribe?{urlencode({'t': f'{body}x.{signature}'})}"
    refused = await open_link(forged, "POST", b"List-Unsubscribe=One-Click")
    assert refused.status_code == 400 and "changed after it was sent" in refused.get_body().decode()
    asked = await open_link(unsubscribe_url)  # GET only asks
    assert asked.status_code == 200 and "Unsubscribe" in asked.get_body().decode()
    await public(container, incident_id, "Recovering")
    assert len(mails_to(inbox, ADDRESS, "Service disruption")) == 2
    one_click = await open_link(unsubscribe_url, "POST", b"List-Unsubscribe=One-Click")  # what a mail client sends
    assert one_click.status_code == 200 and "Unsubscribed" in one_click.get_body().decode()
    await public(container, incident_id, "Resolved for good")
    assert len(mails_to(inbox, ADDRESS, "Service disruption")) == 2


async def test_the_final_update_at_resolve_reaches_subscribers_in_their_language(
        container: Container, inbox: Inbox) -> None:
    await confirmed_subscriber(inbox, "lea@example.fr", language="fr")
    [confirmation] = mails_to(inbox, "lea@example.fr")
    assert "Confirmer l'abonnement" in confirmation.part("plain") and str(
        confirmation.message["Subject"]).startswith("Confirmez votre abonnement")
    incident_id = await declare(container)
    await container.bus.handle(commands.SetPublicTitle(incident_id, "Paiements en échec", ALICE))
    await container.bus.handle(commands.Resolve(incident_id, "Disk replaced", ALICE, override_reason="test"))
    await public(container, incident_id, "Le service est rétabli.")
    [update] = mails_to(inbox, "lea@example.fr", "Paiements en échec")
    assert str(update.message["Subject"]) == "Paiements en échec · Résolu"
    assert "Le service est rétabli." in update.part("plain") and "Se désabonner" in update.part("plain")


async def test_a_confirmation_link_works_once_and_a_changed_expired_or_foreign_one_is_refused(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    await subscribe()
    url = link_in(mails_to(inbox, ADDRESS)[0], "/api/status/confirm")
    token = parse_qs(urlsplit(url).query)["t"][0]
    body, signature = token.split(".")
    tampered = f"{body[:-1]}{'A' if body[-1] != 'A' else 'B'}.{signature}"
    action = ActionLinkSigner(KEY).issue("INC-2026-0001", ALICE, LinkAction.RESOLVE, clock.now())
    for bad, status, words in ((tampered, 400, "changed after it was sent"), (action, 400, "not valid"),
                               ("", 400, "incomplete or damaged")):
        for method in ("GET", "POST"):
            refused = await open_link(f"{BASE}/api/status/confirm?{urlencode({'t': bad})}", method,
                                      urlencode({"t": bad}).encode() if method == "POST" else b"")
            assert (refused.status_code, words in refused.get_body().decode()) == (status, True), bad
    signer = container.status_page.signer
    assert signer is not None
    unsubscribe_token = signer.issue(Purpose.UNSUBSCRIBE, ADDRESS, clock.now())
    wrong = await open_link(f"{BASE}/api/status/confirm?{urlencode({'t': unsubscribe_token})}")
    assert wrong.status_code == 400 and "made for something else" in wrong.get_body().decode()

    clock.advance(timedelta(hours=48, seconds=1))
    expired = await press_refused(url)
    assert expired.status_code == 410 and "expired" in expired.get_body().decode()
    clock.advance(timedelta(hours=-48, seconds=-2))
    assert (await press(url)).status_code == 200
    replayed = await open_link(url.split("?")[0], "POST", urlencode({"t": token}).encode())
    assert replayed.status_code == 410 and "already been used" in replayed.get_body().decode()


async def press_refused(url: str) -> func.HttpResponse:
    return await open_link(url.split("?")[0], "POST", urlencode({"t": parse_qs(urlsplit(url).query)["t"][0]}).encode())


async def test_a_newer_request_makes_the_older_confirmation_link_stale(container: Container, inbox: Inbox) -> None:
    await subscribe()
    await subscribe()
    older, newer = (link_in(m, "/api/status/confirm") for m in mails_to(inbox, ADDRESS))
    assert (await press_refused(older)).status_code == 410
    assert (await press(newer)).status_code == 200


async def test_the_answer_is_the_same_whatever_the_address_and_mails_are_capped_per_hour(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    await confirmed_subscriber(inbox)
    again = (await subscribe()).get_body()
    assert again == (await subscribe("nobody@example.com")).get_body()
    for _ in range(5):
        assert (await subscribe()).get_body() == again
    assert len(mails_to(inbox, ADDRESS)) == 3  # three confirmation mails an hour, then silence
    clock.advance(timedelta(hours=1))
    await subscribe()
    assert len(mails_to(inbox, ADDRESS)) == 4


async def test_hostile_or_oversized_forms_are_refused_quickly_and_mail_nobody(
        container: Container, inbox: Inbox) -> None:
    function = built_function("subscribe")
    started = time.perf_counter()
    huge = await function(http("POST", "status/subscribe", body=b"email=" + b"a" * 2_000_000))
    assert huge.status_code == 413 and time.perf_counter() - started < 0.5
    many = await function(http("POST", "status/subscribe", body=b"&".join([b"c=checkout"] * 1000)))
    assert many.status_code in (400, 413)
    for address in ("<script>alert(1)</script>@example.com", "ana@example.com\r\nBcc: all@example.com",
                    "a" * 300 + "@example.com", "not an address"):
        refused = await subscribe(address)
        page = refused.get_body().decode()
        assert refused.status_code == 422 and "Give one email address" in page and "<script>" not in page
    assert (await subscribe(components=("not-a-service",))).status_code == 422
    assert (await subscribe(components=())).status_code == 422
    unreadable = await function(http("POST", "status/subscribe", body=b"email=\xff\xfe"))
    assert unreadable.status_code == 400
    assert inbox.messages == []


async def test_a_private_incident_never_mails_subscribers(container: Container, inbox: Inbox) -> None:
    await confirmed_subscriber(inbox)
    incident_id = await declare(container, private=True)
    with pytest.raises(NotPermitted):
        await public(container, incident_id, "Something happened")
    await container.bus.handle(commands.Resolve(incident_id, "Disk replaced", ALICE, override_reason="test"))
    await container.bus.drain()
    assert len(mails_to(inbox, ADDRESS)) == 1  # the confirmation only
    # Even were a private incident to carry a public update, the reaction mails nobody.
    published = await declare(container)
    await public(container, published, "Visible update")
    assert len(mails_to(inbox, ADDRESS)) == 2
    incident = await container.dependencies.incidents.get(published)
    events = [e for e in await container.dependencies.incidents.timeline(published) if e.kind == "public_update_posted"]
    await mail_subscribers(replace(incident, private=True, id="INC-2026-9999"), events, container.dependencies)
    assert len(mails_to(inbox, ADDRESS)) == 2


async def test_a_failed_send_is_retried_and_nobody_is_mailed_twice(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    for address in ("a@example.com", "b@example.com", "c@example.com"):
        await confirmed_subscriber(inbox, address)
    assert (await subscribe("a@example.com", ("checkout", "payments"))).status_code == 200
    assert (await press(link_in(mails_to(inbox, "a@example.com")[-1], "/api/status/confirm"))).status_code == 200
    incident_id = await declare(container, services=("checkout", "payments"))
    mailer = container.dependencies.mailer
    assert isinstance(mailer, FlakyMailer)
    mailer.fail_on = {mailer.sends + 2}  # the second subscriber's mail fails: the reaction becomes due work
    await public(container, incident_id, "Investigating")
    assert [len(mails_to(inbox, a, "Service disruption")) for a in ("a@example.com", "b@example.com",
                                                                       "c@example.com")] == [1, 0, 0]
    clock.advance(timedelta(minutes=5))
    await run_tick(container.bus, clock.now())
    await container.bus.drain()
    assert [len(mails_to(inbox, a, "Service disruption")) for a in ("a@example.com", "b@example.com",
                                                                       "c@example.com")] == [1, 1, 1]
    clock.advance(timedelta(minutes=30))
    await run_tick(container.bus, clock.now())  # a sweep or a second retry mails nobody again
    assert len(mails_to(inbox, "a@example.com", "Service disruption")) == 1


async def test_a_public_update_stored_just_before_a_crash_reaches_subscribers_once(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    await confirmed_subscriber(inbox)
    incident_id = await declare(container)
    # The handler alone: the update is stored, then the process "dies" before any reaction runs.
    await apply_change(commands.PostPublicUpdate(incident_id, "Investigating", ALICE), container.dependencies)
    assert mails_to(inbox, ADDRESS, "Service disruption") == []
    clock.advance(timedelta(minutes=11))
    await run_tick(container.bus, clock.now())
    await container.bus.drain()
    clock.advance(timedelta(minutes=30))
    await run_tick(container.bus, clock.now())
    [update] = mails_to(inbox, ADDRESS, "Service disruption")
    assert "Investigating" in update.part("plain")


async def test_a_request_never_confirmed_in_time_is_removed_when_its_component_is_next_mailed(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    await confirmed_subscriber(inbox, "kept@example.com")
    await subscribe("late@example.com")
    await subscribe("recent@example.com", ("checkout", "payments"))
    store = container.status_page.subscriptions
    assert store is not None
    clock.advance(timedelta(hours=49))
    await subscribe("recent@example.com")
    incident_id = await declare(container)
    await public(container, incident_id, "Investigating")
    assert sorted((s.component, s.address) for s in await store.every()) == [
        ("checkout", "kept@example.com"), ("checkout", "recent@example.com"), ("payments", "recent@example.com")]
    assert [len(mails_to(inbox, a, "Service disruption")) for a in ("kept@example.com", "late@example.com")] == [1, 0]


async def test_an_update_mailed_late_says_the_state_it_was_posted_in(
        container: Container, inbox: Inbox, clock: FixedClock) -> None:
    await confirmed_subscriber(inbox)
    incident_id = await declare(container)
    # Stored just before a crash while the incident was investigated; by the sweep, the cause is identified.
    await apply_change(commands.PostPublicUpdate(incident_id, "Looking into it", ALICE), container.dependencies)
    await apply_change(commands.ChangeStatus(incident_id, Status.IDENTIFIED, ALICE), container.dependencies)
    clock.advance(timedelta(minutes=11))
    await run_tick(container.bus, clock.now())
    await container.bus.drain()
    [update] = [m for m in mails_to(inbox, ADDRESS) if "Looking into it" in m.part("plain")]
    assert str(update.message["Subject"]).endswith("· Investigating"), update.message["Subject"]


async def test_a_subscription_to_as_many_components_as_the_form_carries_can_be_confirmed(
        inbox: Inbox, policy: OrganisationPolicy, clock: FixedClock) -> None:
    # Every service a component, keys as long as the organisation file allows, as many as the form's 8 KB
    # carries: the confirmation link is far longer than an action link may be.
    services = tuple(f"service-{n:03}-" + "x" * 28 for n in range(150))
    built = Container(Settings(storage_connection_string="memory", action_link_key=KEY, public_url=BASE),
                      in_memory=True, clock=clock, policy=replace(policy, services=services),
                      notifier=RecordingNotifier(), mailer=FlakyMailer(inbox.port), status_files=MemoryStatusFiles())
    bootstrap.reset_container(built)
    try:
        assert (await subscribe(ADDRESS, services)).status_code == 200
        [confirmation] = mails_to(inbox, ADDRESS)
        assert len(link_in(confirmation, "/api/status/confirm")) > 2048
        assert (await press(link_in(confirmation, "/api/status/confirm"))).status_code == 200
        publishing = built.dependencies.status_page
        assert publishing is not None and publishing.subscriptions is not None
        assert [s.confirmed for s in await publishing.subscriptions.of_component(services[-1])] == [True]
    finally:
        bootstrap.reset_container(None)
        await built.aclose()
