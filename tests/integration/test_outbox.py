"""A crash between storing a change and telling people loses nothing, and tells nobody twice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident import commands
from incident.errors import NotificationFailed
from incident.policy import OrganisationPolicy
from services.handlers import apply_change, declare_incident
from services.outbox import OUTBOX_SWEEP
from services.ports import Attachment, Email, OutboxEntry
from services.reactions import REACTIONS
from services.timers import run_tick
from tests.conftest import ALICE

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def build(policy: OrganisationPolicy, clock: FixedClock) -> tuple[Container, RecordingNotifier, RecordingMailer]:
    teams, mailer = RecordingNotifier(), RecordingMailer()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          notifier=teams, mailer=mailer)
    return container, teams, mailer


def declaration() -> commands.DeclareIncident:
    return commands.DeclareIncident(title="Checkout failing", incident_type="outage", severity="SEV1", actor=ALICE,
                                    roles={"commander": ALICE}, services=("checkout",))


async def test_a_declaration_stored_just_before_a_crash_is_announced_by_the_next_sweep(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    container, teams, mailer = build(policy, clock)
    # The handler alone: the change is stored, then the process "dies" before any reaction runs.
    incident = await declare_incident(declaration(), container.dependencies)
    assert teams.calls == [] and mailer.sent == []
    due = await container.dependencies.due_work.due(T0 + timedelta(minutes=15))
    assert [i.kind for i in due if i.kind == OUTBOX_SWEEP] == [OUTBOX_SWEEP]
    clock.at = T0 + timedelta(minutes=11)
    await run_tick(container.bus, clock.at)
    assert teams.told("declared") == [incident.id]
    assert [m.subject for m in mailer.sent].count(f"[{incident.id}] SEV1 declared: Checkout failing") == 1
    assert await container.dependencies.incidents.outbox(incident.id) == []


async def test_reactions_that_ran_before_a_crash_are_not_run_again(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    container, teams, mailer = build(policy, clock)
    incident = await declare_incident(declaration(), container.dependencies)
    [entry] = await container.dependencies.incidents.outbox(incident.id)
    # Every reaction of the declaration but the missing-delegates warning had run when the process died.
    ran = tuple(r.__name__ for r in REACTIONS["declared"] if r.__name__ != "warn_missing_delegates")
    await container.dependencies.incidents.outbox_progress(replace(entry, done=ran))
    clock.at = T0 + timedelta(minutes=11)
    await run_tick(container.bus, clock.at)
    assert teams.told("declared") == [] and mailer.sent == []
    assert [kind for kind, _, _ in teams.calls] == ["alert:no_delegates"]  # the one reaction left


async def test_a_change_told_normally_leaves_the_sweep_nothing_to_do(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    container, teams, mailer = build(policy, clock)
    incident = await container.bus.handle(declaration())
    await container.bus.drain()
    clock.at = T0 + timedelta(minutes=1)
    await container.bus.handle(commands.PostUpdate(incident.id, "Rolling back", ALICE))
    await container.bus.drain()
    assert await container.dependencies.incidents.outbox(incident.id) == []
    clock.at = T0 + timedelta(minutes=12)
    report = await run_tick(container.bus, clock.at)
    assert report.kinds[OUTBOX_SWEEP] == 1  # one sweep for both changes: same five-minute bucket
    assert teams.told("declared") == [incident.id]
    # The first update also ticks the plan's "Post the first status update": one change, both events.
    assert [events for kind, _, events in teams.calls if kind == "changed"].count(
        ("update_posted", "plan_step_done")) == 1
    subjects = [m.subject for m in mailer.sent]
    assert subjects.count(f"[{incident.id}] SEV1 declared: Checkout failing") == 1
    assert subjects.count(f"[{incident.id}] SEV1 status update: Checkout failing") == 1


async def test_an_update_stored_just_before_a_crash_reaches_stakeholders_once(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    container, _, mailer = build(policy, clock)
    incident = await container.bus.handle(declaration())
    await container.bus.drain()
    sent = len(mailer.sent)
    await apply_change(commands.PostUpdate(incident.id, "Rolled back to 41", ALICE), container.dependencies)
    clock.at = T0 + timedelta(minutes=11)
    await run_tick(container.bus, clock.at)
    clock.at = T0 + timedelta(minutes=30)
    await run_tick(container.bus, clock.at)
    updates = [m for m in mailer.sent[sent:] if "status update" in m.subject]
    assert len(updates) == 1 and "Rolled back to 41" in updates[0].text


class BatchingMailer(RecordingMailer):
    """Sends at most 500 recipients a message, as Graph and SMTP do; the second message ever fails once."""

    def __init__(self) -> None:
        super().__init__()
        self.messages = 0

    async def send_template(self, to: Sequence[str], subject: str, template: str,
                            data: Mapping[str, Any], attachments: Sequence[Attachment] = (),
                            headers: Sequence[tuple[str, str]] = ()) -> Email:
        email: Email | None = None
        for start in range(0, len(to), 500):
            self.messages += 1
            if self.messages == 2:
                raise NotificationFailed("the mail server dropped the connection")
            email = await super().send_template(to[start:start + 500], subject, template, data, attachments, headers)
        assert email is not None
        return email


async def test_stakeholders_already_mailed_are_not_mailed_again_when_a_later_batch_is_retried(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    executives = tuple(f"exec{n}@contoso.example" for n in range(600))
    crowded = replace(policy, audience_emails={**policy.audience_emails, "executives": executives})
    mailer = BatchingMailer()
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=crowded,
                          notifier=RecordingNotifier(), mailer=mailer)
    incident = await container.bus.handle(declaration())
    await container.bus.drain()  # the first 500 are mailed, then the second message fails
    clock.at = T0 + timedelta(minutes=2)
    await run_tick(container.bus, clock.at)  # the failed reaction is retried
    declared = f"[{incident.id}] SEV1 declared: Checkout failing"
    told = [address for m in mailer.sent if m.subject == declared for address in m.to]
    assert sorted(told) == sorted(crowded.stakeholders("SEV1"))  # everyone once, nobody twice


async def test_stakeholders_mailed_just_before_a_crash_are_not_mailed_again_by_the_sweep(
        policy: OrganisationPolicy, clock: FixedClock) -> None:
    # The stakeholders' mail records no progress of its own (each message is claimed): a crash after it ran,
    # before the next reaction recorded anything, leaves the outbox saying only the reactions before it ran.
    container, _, mailer = build(policy, clock)
    incident = await container.bus.handle(declaration())
    await container.bus.drain()
    subject = f"[{incident.id}] SEV1 declared: Checkout failing"
    assert [m.subject for m in mailer.sent].count(subject) == 1
    [declared] = await container.dependencies.incidents.timeline(incident.id)
    names = [r.__name__ for r in REACTIONS["declared"]]
    before = tuple(names[:names.index("mail_stakeholders")])
    await container.dependencies.incidents.outbox_progress(OutboxEntry(
        incident.id, declared.sequence, (declared.sequence,), before))
    clock.at = T0 + timedelta(minutes=11)
    await run_tick(container.bus, clock.at)
    assert await container.dependencies.incidents.outbox(incident.id) == []
    assert [m.subject for m in mailer.sent].count(subject) == 1
