"""Every promise the README makes is counted: declarations, updates, escalations and reminders sent, the
due-work lag, retries and give-ups, Teams failures and email fallbacks, storage conflicts, duplicates
absorbed, alert signals and mail in. Real SMTP for the fallback; in-memory storage."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from adapters.process_metrics import InProcessMetrics
from adapters.smtp_mailer import SmtpMailer
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.errors import ConcurrencyConflict
from incident.policy import OrganisationPolicy
from services.conflict_retry import until_stored
from services.heartbeat import last_tick
from services.inbound_mail import InboundMessage, ingest
from services.telemetry_ports import (
    ALERT_INCIDENTS,
    ALERT_SIGNALS,
    ALERTS_REFUSED,
    DUE_WORK,
    DUPLICATES_ABSORBED,
    EMAIL_FALLBACKS,
    HEARTBEATS,
    INCIDENT_EVENTS,
    MAIL_IN,
    NOTIFICATIONS,
    STORAGE_CONFLICTS,
    TEAMS_FAILURES,
)
from services.timers import MAX_ATTEMPTS, STATUS_REMINDER, run_tick
from tests.conftest import ALICE, BOB
from tests.functions.alerts_support import SECRETS, fixture, post
from tests.support.smtp import Inbox, smtp_server
from tests.support.telemetry import recording_metrics

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
DOWN = 10**6


@pytest.fixture
def metrics() -> Iterator[InProcessMetrics]:
    with recording_metrics() as recorder:
        yield recorder


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture
async def app(policy: OrganisationPolicy, clock: FixedClock, inbox: Inbox) -> AsyncIterator[Container]:
    clock.at = T0
    mailer = SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example")
    built = Container(Settings(storage_connection_string="memory", alert_secrets=tuple(SECRETS.items())),
                      clock=clock, in_memory=True, policy=policy, notifier=RecordingNotifier(), mailer=mailer)
    bootstrap.reset_container(built)
    yield built
    bootstrap.reset_container(None)
    await built.aclose()


def teams(container: Container) -> RecordingNotifier:
    notifier = container.teams_notifier
    assert isinstance(notifier, RecordingNotifier)
    return notifier


async def declare(container: Container, **kwargs: object) -> str:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV2", actor=ALICE,
        roles={"commander": ALICE}, invitees=(BOB,), services=("checkout",), **kwargs))  # type: ignore[arg-type]
    await container.bus.drain()
    return str(incident.id)


async def tick_at(container: Container, clock: FixedClock, at: datetime) -> None:
    clock.at = at
    await run_tick(container.bus, at)


async def test_a_declaration_and_an_update_are_counted_as_stored_and_as_sent_in_teams(
        app: Container, metrics: InProcessMetrics) -> None:
    incident_id = await declare(app)
    await app.bus.handle(commands.PostUpdate(incident_id, "Rolled back the release.", ALICE))
    await app.bus.drain()
    assert metrics.value(INCIDENT_EVENTS, {"kind": "declared"}) == 1
    assert metrics.value(INCIDENT_EVENTS, {"kind": "update_posted"}) == 1
    assert metrics.value(NOTIFICATIONS, {"kind": "declared", "channel": "teams"}) == 1
    assert metrics.value(NOTIFICATIONS, {"kind": "status_update", "channel": "teams"}) >= 1
    assert metrics.value(TEAMS_FAILURES) == 0


async def test_reminders_and_escalations_under_time_travel_are_counted_with_their_lag_within_one_tick(
        app: Container, clock: FixedClock, metrics: InProcessMetrics) -> None:
    await declare(app)  # SEV2: a reminder every 30 minutes, escalation when not acknowledged
    for minute in range(1, 62):
        await tick_at(app, clock, T0 + timedelta(minutes=minute))
    assert metrics.value(NOTIFICATIONS, {"kind": "reminder", "channel": "teams"}) == 2
    assert metrics.value(INCIDENT_EVENTS, {"kind": "escalated"}) >= 1
    assert metrics.value(DUE_WORK, {"kind": STATUS_REMINDER, "outcome": "done"}) == 2
    assert metrics.value(HEARTBEATS) == 61
    text = metrics.exposition()
    # Ticking every minute, every item is done within one tick of its due time: all at or below 60 s.
    count = _sample(text, 'devopsbot_due_work_lag_seconds_count{kind="status_reminder"}')
    assert count == 2
    assert _sample(text, 'devopsbot_due_work_lag_seconds_bucket{kind="status_reminder",le="60"}') == count
    assert app.dependencies.state is not None
    assert await last_tick(app.dependencies.state) == T0 + timedelta(minutes=61)


async def test_a_teams_failure_and_its_email_fallback_are_counted(
        app: Container, inbox: Inbox, metrics: InProcessMetrics) -> None:
    teams(app).failures = DOWN
    await declare(app)
    assert metrics.value(TEAMS_FAILURES) >= 1
    assert metrics.value(NOTIFICATIONS, {"kind": "declared", "channel": "email"}) == 1
    mailed = [m for m in inbox.messages if " declared: " in str(m.message["Subject"])
              and m.envelope_to in (["alice@contoso.example"], ["bob@contoso.example"])]
    assert metrics.value(EMAIL_FALLBACKS, {"template": "declared"}) == len(mailed) == 2  # Alice and Bob


async def test_due_work_retried_and_given_up_is_counted(
        app: Container, clock: FixedClock, metrics: InProcessMetrics) -> None:
    await declare(app)
    teams(app).failures = DOWN
    await tick_at(app, clock, T0 + timedelta(minutes=30))
    assert metrics.value(DUE_WORK, {"kind": STATUS_REMINDER, "outcome": "retried"}) == 1
    for _ in range(MAX_ATTEMPTS + 1):
        await tick_at(app, clock, clock.at + timedelta(hours=1, minutes=1))
    assert metrics.value(DUE_WORK, {"kind": STATUS_REMINDER, "outcome": "given_up"}) == 1


async def test_a_storage_conflict_and_its_retry_are_counted(metrics: InProcessMetrics) -> None:
    lost = [True]

    async def write() -> None:
        if lost.pop() if lost else False:
            raise ConcurrencyConflict("someone else wrote first")

    async def attempt() -> tuple[str, object]:
        return "stored", write

    assert await until_stored(attempt, "never stored") == "stored"  # type: ignore[arg-type]
    assert metrics.value(STORAGE_CONFLICTS) == 1


async def test_a_repeated_declaration_is_counted_as_a_duplicate_absorbed(
        app: Container, metrics: InProcessMetrics) -> None:
    first = await declare(app, idempotency_key="declare:form-1:29:alice:abc")
    again = await declare(app, idempotency_key="declare:form-1:29:alice:abc")
    assert first == again
    assert metrics.value(DUPLICATES_ABSORBED, {"scope": "declare"}) == 1
    assert metrics.value(INCIDENT_EVENTS, {"kind": "declared"}) == 1


async def test_alert_signals_in_repeated_refused_and_declared_are_counted(
        app: Container, metrics: InProcessMetrics) -> None:
    body = fixture("azure-monitor-metric-fired.json")
    assert (await post("azure-monitor", body)).status_code == 202
    assert (await post("azure-monitor", body)).status_code == 202
    assert (await post("azure-monitor", body, secret="wrong-secret-0123456789")).status_code == 401
    assert metrics.value(ALERT_SIGNALS, {"source": "azure-monitor", "outcome": "new"}) == 1
    assert metrics.value(ALERT_SIGNALS, {"source": "azure-monitor", "outcome": "repeat"}) == 1
    assert metrics.value(ALERT_INCIDENTS, {"source": "azure-monitor"}) == 1
    assert metrics.value(ALERTS_REFUSED, {"source": "azure-monitor"}) == 1


async def test_mail_in_is_counted_by_outcome(app: Container, metrics: InProcessMetrics) -> None:
    async def directory(address: str) -> None:
        return None  # nobody known: the message is refused without an answer

    message = InboundMessage("<m1@elsewhere.example>", "stranger@elsewhere.example", "Stranger",
                             "DECLARE SEV2: checkout failing", "Payments time out.")
    handled = await ingest(app.bus, message, directory)
    assert metrics.value(MAIL_IN, {"outcome": handled.outcome.value}) == 1
    assert handled.outcome.value in ("answered", "unanswered")


def _sample(text: str, series: str) -> float:
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name == series:
            return float(value)
    raise AssertionError(f"no {series} in:\n{text}")
