"""OpenTelemetry spans, asserted with the SDK's in-memory exporter: a declaration, an escalation under time
travel and an email fallback each leave spans carrying the incident id, in one trace per operation, and never
a title or any text of a private incident. Real SMTP for the fallback; in-memory storage."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from adapters.otel_telemetry import OpenTelemetryTracer
from adapters.smtp_mailer import SmtpMailer
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.policy import OrganisationPolicy
from services.timers import run_tick
from services.tracing_ports import INCIDENT_ATTRIBUTE, install_tracer
from tests.conftest import ALICE, BOB
from tests.support.smtp import Inbox, smtp_server

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SECRET_TITLE = "Payroll export leaks salaries"
SECRET_SUMMARY = "The CFO's spreadsheet is public"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous = install_tracer(OpenTelemetryTracer(provider.get_tracer("test")))
    yield exporter
    install_tracer(previous)
    provider.shutdown()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture
async def app(policy: OrganisationPolicy, clock: FixedClock, inbox: Inbox) -> AsyncIterator[Container]:
    clock.at = T0
    mailer = SmtpMailer(host="127.0.0.1", port=inbox.port, sender="incidents@contoso.example")
    built = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                      notifier=RecordingNotifier(), mailer=mailer)
    bootstrap.reset_container(built)
    yield built
    bootstrap.reset_container(None)
    await built.aclose()


async def declare(container: Container, *, private: bool = False) -> str:
    incident = await container.bus.handle(commands.DeclareIncident(
        title=SECRET_TITLE, summary=SECRET_SUMMARY, incident_type="outage", severity="SEV2", actor=ALICE,
        roles={"commander": ALICE}, invitees=(BOB,), services=("checkout",), private=private))
    await container.bus.drain()
    return str(incident.id)


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


def assert_nothing_private(exporter: InMemorySpanExporter) -> None:
    for span in exporter.get_finished_spans():
        values = [span.name, *(str(v) for v in (span.attributes or {}).values())]
        assert not [v for v in values if "Payroll" in v or "spreadsheet" in v], span.name


async def test_a_private_declaration_leaves_a_command_span_and_reaction_spans_with_its_id_and_no_text(
        app: Container, spans: InMemorySpanExporter) -> None:
    incident_id = await declare(app, private=True)
    [command] = named(spans, "command DeclareIncident")
    assert command.attributes is not None and command.attributes[INCIDENT_ATTRIBUTE] == incident_id
    [told] = named(spans, "reaction tell_declared")
    assert told.attributes is not None and told.attributes[INCIDENT_ATTRIBUTE] == incident_id
    assert told.context is not None and command.context is not None
    assert told.context.trace_id == command.context.trace_id  # the reaction is part of the declaration's trace
    assert_nothing_private(spans)


async def test_an_escalation_under_time_travel_is_a_tick_with_its_due_work_and_the_escalate_command(
        app: Container, clock: FixedClock, spans: InMemorySpanExporter) -> None:
    incident_id = await declare(app)  # SEV2: 15 minutes to acknowledge
    spans.clear()
    clock.at = T0 + timedelta(minutes=16)
    await run_tick(app.bus, clock.at)
    [tick] = named(spans, "timer tick")
    [deadline] = named(spans, "due work ack_deadline")
    [escalate] = named(spans, "command Escalate")
    assert deadline.attributes is not None and deadline.attributes[INCIDENT_ATTRIBUTE] == incident_id
    assert escalate.attributes is not None and escalate.attributes[INCIDENT_ATTRIBUTE] == incident_id
    assert deadline.parent is not None and tick.context is not None and deadline.parent.span_id == tick.context.span_id
    assert escalate.parent is not None and deadline.context is not None
    assert escalate.parent.span_id == deadline.context.span_id


async def test_an_email_fallback_is_a_mail_span_inside_the_failed_reaction(
        app: Container, inbox: Inbox, spans: InMemorySpanExporter) -> None:
    teams = app.teams_notifier
    assert isinstance(teams, RecordingNotifier)
    teams.failures = 10**6
    incident_id = await declare(app, private=True)
    mails = [s for s in named(spans, "mail fallback")
             if s.attributes is not None and s.attributes["devopsbot.template"] == "declared"]
    assert len(mails) == 2  # Alice and Bob, each mailed once
    [told] = named(spans, "reaction tell_declared")
    assert told.status.status_code.name == "ERROR" and told.attributes is not None
    assert told.attributes["error.type"] == "NotificationFailed"
    for mail in mails:
        assert mail.attributes is not None and mail.attributes[INCIDENT_ATTRIBUTE] == incident_id
        assert mail.parent is not None and told.context is not None and mail.parent.span_id == told.context.span_id
    assert_nothing_private(spans)


async def test_a_declarations_figures_reach_opentelemetry_and_stay_on_the_metrics_endpoint(
        app: Container) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from adapters.otel_telemetry import BothTelemetry, OpenTelemetryMetrics
    from adapters.process_metrics import InProcessMetrics, process_metrics
    from services.telemetry_ports import INCIDENT_EVENTS, install

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    process_metrics()
    local = InProcessMetrics()
    previous = install(BothTelemetry(local, OpenTelemetryMetrics(provider.get_meter("test"))))
    try:
        await declare(app)
    finally:
        install(previous)
    data = reader.get_metrics_data()
    assert data is not None
    points = {(m.name, tuple(sorted(p.attributes.items()))): p.value  # type: ignore[union-attr]
              for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
              for p in m.data.data_points}
    assert points[(INCIDENT_EVENTS.name, (("kind", "declared"),))] == 1
    assert local.value(INCIDENT_EVENTS, {"kind": "declared"}) == 1
    provider.shutdown()
