"""Email in, polled by every host at once: three `python -m devopsbot serve` processes, each running the
incidents-mailbox timer on the due-work schedule (hosts 0 and 2 in the same second, host 1 between them), all
reading the same mailbox through the Graph double's delta query with tokens from the HTTPS identity double
(msal's real client-credentials flow; each host has a client secret of its own, so Graph can tell them apart).

Mail arrives while they poll: replies to incidents, declarations by mail, junk from people devopsbot knows and
from strangers, out-of-office replies. Asserted from storage and from what Teams and SMTP received: each mail is
handled once (one timeline entry, one stakeholder mail per update, one incident per declaration, one answer per
answered mail), the stored delta cursor reaches the end, nothing is doubled — also when a host is SIGKILLed
while it polls and is started again.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import pytest_asyncio

from adapters.clock import FixedClock
from adapters.graph import GraphClient, GraphIdentity, MsalTokens
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from services.inbound_mail import poll
from tests.conftest import unique_prefix
from tests.functions import conftest as activities
from tests.resilience.test_many_hosts import quiet, threads_per_incident
from tests.support.graph import CLIENT_ID, GraphDouble, running_graph
from tests.support.hosts import MAIL_FROM, Fleet, organisation_with_admin, running_fleet
from tests.support.identity_server import IdentityServer, TlsFiles, running_identity, trusting
from tests.support.smtp import Received
from tests.support.storm import INCIDENT_ID, declaration_form, post_activity

pytestmark = [pytest.mark.azurite, pytest.mark.asyncio(loop_scope="module")]
TENANT = "99999999-8888-7777-6666-555555555555"
MAILBOX = "incidents-in@contoso.example"
SECRETS = {f"host-{i}": f"client-secret-of-host-{i}" for i in range(3)}
KNOWN = ("alice", "bob", "chloe", "dmitri")  # the admin team: devopsbot knows their addresses
DELTA = "/users/incidents-in@contoso.example/mailFolders/inbox/messages/delta"


@dataclass
class Shared:
    fleet: Fleet
    graph: GraphDouble
    identity: IdentityServer
    tls: TlsFiles
    reader: Container  # the tests' own view of the tables, straight to Azurite
    settings: Settings
    incidents: list[str]  # declared through Teams, for the mails to reply to


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shared]:
    prefix = unique_prefix()
    organisation_file = organisation_with_admin(tmp_path_factory.mktemp("organisation"),
                                                tuple((n, f"{n.title()} Known") for n in KNOWN))
    async with AsyncExitStack() as stack:
        identity, tls = await stack.enter_async_context(running_identity(
            tmp_path_factory.mktemp("tls"), tenant=TENANT, client_id=CLIENT_ID, client_secrets=SECRETS))
        graph = await stack.enter_async_context(running_graph())
        graph.accepts = identity.accepts  # Graph takes only the identity server's unexpired tokens
        settings = {"DEVOPSBOT_ORGANISATION_FILE": str(organisation_file), "DEVOPSBOT_INBOUND_MAILBOX": MAILBOX,
                    "DEVOPSBOT_GRAPH_AUTH": "secret", "DEVOPSBOT_GRAPH_CLIENT_ID": CLIENT_ID,
                    "DEVOPSBOT_GRAPH_TENANT_ID": TENANT, "DEVOPSBOT_GRAPH_AUTHORITY_HOST": identity.url,
                    "DEVOPSBOT_GRAPH_BASE_URL": graph.url,
                    "REQUESTS_CA_BUNDLE": str(tls.ca_bundle)}  # msal (requests) trusts the test authority
        fleet = await stack.enter_async_context(running_fleet(
            azurite, tmp_path_factory.mktemp("hosts"), prefix=prefix, settings=settings,
            per_host=lambda i: {"DEVOPSBOT_GRAPH_CLIENT_SECRET": SECRETS[f"host-{i}"]}))
        reader_settings = Settings(storage_connection_string=azurite, table_prefix=prefix,
                                   organisation_file=organisation_file, inbound_mailbox=MAILBOX,
                                   mail_transport="smtp", mail_from=MAIL_FROM, smtp_host="127.0.0.1",
                                   smtp_port=fleet.inbox.port)
        reader = Container(reader_settings)
        stack.push_async_callback(reader.aclose)
        async with aiohttp.ClientSession() as session:
            answers = [await post_activity(session, fleet.url, activities.teams_invoke(
                "declare.submit", declaration_form(n, prefix="mailfleet"))) for n in range(3)]
        incidents = [INCIDENT_ID.findall(str(body))[0] for _, body in answers]
        yield Shared(fleet, graph, identity, tls, reader, reader_settings, incidents)


@dataclass(frozen=True)
class Mail:
    n: int
    kind: str  # update, declare, junk_known, junk_stranger, automatic, own
    sender: str
    subject: str
    body: str

    @property
    def message_id(self) -> str:
        return f"<mailfleet-{self.n}@contoso.example>"

    @property
    def tag(self) -> str:  # in the text an update posts, so Teams and the stakeholder mails can be searched
        return f"mailfleet{self.n:03d}"

    @property
    def expected(self) -> str:
        """The result stored under the message's idempotency key ("" for a mail that is not claimed)."""
        return {"update": "updated", "declare": "declared", "junk_known": "answered",
                "junk_stranger": "unanswered"}.get(self.kind, "")


def mails(first: int, count: int, incidents: list[str]) -> list[Mail]:
    """A mix: half replies to incidents, some declarations, junk from known people and strangers, machines."""
    kinds = ("update", "update", "junk_stranger", "update", "declare", "update", "junk_known", "automatic",
             "update", "update", "junk_stranger", "own")
    made: list[Mail] = []
    for n in range(first, first + count):
        # Known senders in turn, also for each kind: an answered sender gets at most 5 answers an hour.
        kind, known = kinds[n % len(kinds)], f"{KNOWN[(n + n // len(kinds)) % len(KNOWN)]}@contoso.example"
        incident = incidents[n % len(incidents)]
        made.append({
            "update": Mail(n, kind, known, f"RE: [{incident}] SEV2 status update",
                           f"Rolled back node {n}, mailfleet{n:03d}.\n\nOn Friday, devopsbot wrote:\n> old text"),
            "declare": Mail(n, kind, known, f"DECLARE SEV3: mailfleet declared {n:03d}", f"Declared by mail {n}."),
            "junk_known": Mail(n, kind, known, f"lunch on friday {n}?", "Anyone?"),
            "junk_stranger": Mail(n, kind, f"stranger{n}@elsewhere.example", f"Cheap watches {n}", "Buy now"),
            "automatic": Mail(n, kind, known, f"Automatic reply: RE: [{incident}] update", "I am away."),
            "own": Mail(n, kind, MAIL_FROM, f"[{incident}] SEV2 status update", "Our own mail, looped back."),
        }[kind])
    return made


async def deliver_while_polling(graph: GraphDouble, arriving: list[Mail], every: float = 0.12) -> None:
    for mail in arriving:
        graph.deliver(mail.sender, mail.subject, mail.body, message_id=mail.message_id)
        await asyncio.sleep(every)


async def results(shared: Shared, sent: list[Mail]) -> dict[int, str]:
    """Each claimed mail's stored result ("" while unclaimed or in progress)."""
    store = shared.reader.dependencies.idempotency
    found = {m.n: await store.find(f"mail:{m.message_id}") for m in sent if m.expected}
    return {n: record.result if record else "" for n, record in found.items()}


async def cursor(shared: Shared) -> str:
    state = shared.reader.dependencies.state
    assert state is not None
    return await state.get(f"mailbox-delta:{MAILBOX}") or ""


async def until_handled(shared: Shared, sent: list[Mail], within: float = 40, stalled: float = 40) -> None:
    """Until every mail has its result and the stored cursor is past the last message in the mailbox, or
    nothing more was handled for ``stalled`` seconds."""
    started = changed = time.monotonic()
    seen: dict[int, str] = {}
    while time.monotonic() - started < within and time.monotonic() - changed < stalled:
        found = await results(shared, sent)
        if all(found.values()) and (await cursor(shared)).endswith(f"$deltatoken={len(shared.graph.inbox)}"):
            break
        if found != seen:
            seen, changed = found, time.monotonic()
        await asyncio.sleep(0.3)
    await quiet(shared.fleet.connector)


def position(link: str) -> int:
    """How many of the mailbox's messages lie before a stored delta or next link of the Graph double."""
    for token in ("$deltatoken=", "$skiptoken="):
        if token in link:
            return int(link.rsplit(token, 1)[1])
    return 0


@dataclass
class CursorWatch:
    """The stored delta cursor, read every 0.2 s while the hosts poll. It may move back (a slower host stores an
    older position: those messages are read again and recognised as handled), but it must never pass a message
    that is not handled yet: that message would be skipped for good."""

    shared: Shared
    claimed: set[str]  # the message ids that are claimed when handled (not machine replies nor our own mail)
    checked: int = 0  # the messages before this position were handled when the cursor passed them
    positions: list[int] = field(default_factory=list)
    passed_unhandled: list[int] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        store = self.shared.reader.dependencies.idempotency
        while not stop.is_set():
            at = position(await cursor(self.shared))
            self.positions.append(at)
            for index in range(self.checked, at):
                message_id = str(self.shared.graph.inbox[index]["internetMessageId"])
                record = await store.find(f"mail:{message_id}") if message_id in self.claimed else None
                if message_id in self.claimed and (record is None or not record.done):
                    self.passed_unhandled.append(index)
            self.checked = max(self.checked, at)
            await asyncio.sleep(0.2)


@asynccontextmanager
async def watching_the_cursor(shared: Shared, sent: list[Mail]) -> AsyncIterator[CursorWatch]:
    watch = CursorWatch(shared, {m.message_id for m in sent if m.expected}, position(await cursor(shared)))
    stop = asyncio.Event()
    task = asyncio.create_task(watch.run(stop))
    try:
        yield watch
    finally:
        stop.set()
        await task
    assert watch.passed_unhandled == [], "the cursor passed messages not handled yet"
    assert watch.positions[-1] == len(shared.graph.inbox), watch.positions


def pollers(shared: Shared) -> Counter[str]:
    """Delta requests per host (by the client secret its token was issued for)."""
    return Counter(shared.identity.holder(r.authorization.removeprefix("Bearer "))
                   for r in shared.graph.requests if r.path == DELTA)


async def assert_each_mail_handled_once(shared: Shared, sent: list[Mail], *, sent_before_kill: int = 0) -> None:
    """``sent_before_kill``: how many mails SMTP had received when a host was killed. A stakeholder mail among
    them may come twice: the dead host may have sent it and died before recording that it had (SMTP has no
    exactly-once), so the outbox sweep sends it again. Every other mail comes exactly once."""
    incidents = shared.reader.dependencies.incidents
    posts = {i: [str(e.after.get("update", "")) for e in await incidents.timeline(i) if e.kind == "update_posted"]
             for i in shared.incidents}
    updates = [m for m in sent if m.kind == "update"]
    posted = Counter(m.tag for texts in posts.values() for text in texts for m in updates if m.tag in text)
    assert {m.tag: posted[m.tag] for m in updates} == {m.tag: 1 for m in updates}, "each update posted once"
    teams = " ".join(str(s.activity) for s in shared.fleet.connector.sent)
    for incident_id, texts in posts.items():  # its card shows the latest update (drawn over an earlier one)
        assert texts[-1] in teams, (incident_id, texts[-1])
    stakeholder = Counter(m.tag for received in shared.fleet.inbox.messages
                          if "status update" in str(received.message["Subject"])
                          for m in updates if m.tag in changes_in(received))
    in_flight = {m.tag for received in shared.fleet.inbox.messages[:sent_before_kill]
                 for m in updates if m.tag in changes_in(received)}
    assert {m.tag: stakeholder[m.tag] for m in updates} == {
        m.tag: stakeholder[m.tag] if m.tag in in_flight and stakeholder[m.tag] <= 2 else 1 for m in updates}, \
        "one mail per update"
    answers = Counter((r.message["Subject"], tuple(r.envelope_to)) for r in shared.fleet.inbox.messages
                      if str(r.message["Subject"]).startswith("Re: "))
    answered = [m for m in sent if m.kind == "junk_known"]
    assert {key: answers[key] for key in answers if any(m.subject in key[0] for m in sent)} == {
        (f"Re: {m.subject}", (m.sender,)): 1 for m in answered}, "one answer per answered mail, none to others"
    titles = [m.subject.split(": ", 1)[1] for m in sent if m.kind == "declare"]
    declared = [i for i in await incidents.list_open() if i.title in titles]
    assert Counter(i.title for i in declared) == Counter(titles), "one incident per declaration by mail"
    ids = {i.id for i in declared}
    assert threads_per_incident(shared.fleet.connector, "channel-broadcast") & Counter(dict.fromkeys(ids, 99)) == \
        Counter(dict.fromkeys(ids, 1)), "each incident declared by mail announced once"
    for incident in [*declared, *[await incidents.get(i) for i in shared.incidents]]:
        assert await incidents.outbox(incident.id) == [], incident.id
    stored = await results(shared, sent)  # each message's claim, completed with what was done
    assert {n: r.split(" ")[0] for n, r in stored.items()} == {m.n: m.expected for m in sent if m.expected}
    assert (await cursor(shared)).endswith(f"$deltatoken={len(shared.graph.inbox)}"), "the cursor reached the end"


def changes_in(received: Received) -> str:
    """What a status-update mail says changed: its text without the incident's latest update (which, in a mail
    sent late from an outbox, is a later update than the one the mail is about)."""
    body = received.message.get_body(preferencelist=("plain",))
    text = str(body.get_content()) if body is not None else ""
    return "\n".join(line for line in text.splitlines() if not line.startswith("Latest update:"))


async def test_mail_arriving_while_every_host_polls_is_each_handled_once(shared: Shared) -> None:
    sent = mails(0, 36, shared.incidents)
    async with watching_the_cursor(shared, sent):
        await deliver_while_polling(shared.graph, sent)
        await until_handled(shared, sent)
    assert set(pollers(shared)) == set(SECRETS), "every host polled the mailbox"
    await assert_each_mail_handled_once(shared, sent)


async def test_a_host_killed_mid_poll_and_restarted_leaves_each_mail_handled_once(shared: Shared) -> None:
    fleet, graph = shared.fleet, shared.graph
    victim = fleet.hosts[1]
    before = len(graph.inbox)
    sent = mails(100, 36, shared.incidents)
    async with watching_the_cursor(shared, sent):
        arriving = asyncio.create_task(deliver_while_polling(graph, sent))
        await until_reading(shared, "host-1", after=before)
        victim.kill()  # mid-poll: acting on the messages it read, one claimed
        sent_before_kill = len(fleet.inbox.messages)
        await arriving
        await victim.start()
        await until_handled(shared, sent, stalled=6)
        # A message the dead host had claimed holds the mailbox for its lease (10 minutes): a poll after that
        # takes it over. The same poll as a host's, with the clock 11 minutes on.
        if not all((await results(shared, sent)).values()):
            await later_poll(shared, datetime.now(UTC) + timedelta(minutes=11))
            await until_handled(shared, sent)
    # What the dead host had stored but not yet told Teams or mailed waits in the incidents' outboxes, swept
    # 5-10 minutes later: every host ticks then.
    assert await fleet.run_due_work_everywhere(datetime.now(UTC) + timedelta(minutes=11)) == [0] * len(fleet.hosts)
    await quiet(fleet.connector)
    await assert_each_mail_handled_once(shared, sent, sent_before_kill=sent_before_kill)


async def until_reading(shared: Shared, host: str, *, after: int) -> None:
    """Until ``host`` has walked the delta's pages to the end with new mail in them, and is acting on it."""
    seen = pollers(shared)[host]
    while len(shared.graph.inbox) < after + 4 or pollers(shared)[host] == seen:
        seen = pollers(shared)[host] if len(shared.graph.inbox) < after + 4 else seen
        await asyncio.sleep(0.01)
    while True:  # its pages come 2 messages at a time; the last one read, it handles them one by one
        walked = pollers(shared)[host]
        await asyncio.sleep(0.15)
        if pollers(shared)[host] == walked:
            return


async def later_poll(shared: Shared, at: datetime) -> None:
    identity = GraphIdentity(mode="secret", client_id=CLIENT_ID, tenant_id=TENANT,
                             client_secret=SECRETS["host-0"], authority_host=shared.identity.url)
    graph = GraphClient(MsalTokens(identity, http_client=trusting(shared.tls)), base_url=shared.graph.url)
    container = Container(shared.settings, clock=FixedClock(at), graph=graph)
    try:
        assert container.mailbox is not None
        await poll(container.bus, container.mailbox, container.directory, own_address=MAIL_FROM)
        await container.bus.drain()
    finally:
        await container.aclose()
