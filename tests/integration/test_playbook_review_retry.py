"""The approvers' mail of a submitted playbook, retried from stored due work, on the in-memory store and Azurite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.people import Person
from incident.playbook_commands import SubmitPlaybook
from incident.policy import OrganisationPolicy
from services.playbooks import submit as submit_handler
from services.timers import run_tick
from tests.conftest import unique_prefix
from tests.functions.test_playbook_review_mail import FlakyMailer

AUTHOR = Person("29:alice", "Alice Martin", "alice@contoso.example")
BOB = Person("29:bob", "Bob Durand", "bob@contoso.example")


def playbook(clock: FixedClock) -> str:
    return (f"# Checkout\nOwner: Payments team\nLast tested: {clock.now().date().isoformat()}\n## Symptoms\nTimeouts.\n"
            "## Diagnosis\nLatency.\n## Mitigation\nFail over.\n## Rollback\nPrevious release.\n"
            "## Verification of recovery\nErrors below 1%.\n## Contacts\nPayments on-call.\n")


@pytest.fixture(params=["memory", pytest.param("azurite", marks=pytest.mark.azurite)])
async def container(request: pytest.FixtureRequest, policy: OrganisationPolicy,
                    clock: FixedClock) -> AsyncIterator[Container]:
    reviewed = replace(policy, playbooks=replace(policy.playbooks, approvers={"checkout": (BOB, AUTHOR)}))
    connection = "memory" if request.param == "memory" else request.getfixturevalue("azurite")
    built = Container(Settings(storage_connection_string=connection, table_prefix=unique_prefix()), clock=clock,
                      in_memory=request.param == "memory", policy=reviewed, notifier=RecordingNotifier(),
                      mailer=FlakyMailer(failures=2))
    yield built
    await built.aclose()


async def test_the_review_mail_is_retried_with_backoff_until_the_mail_server_takes_it(
        container: Container, clock: FixedClock) -> None:
    mailer = container.mailer
    assert isinstance(mailer, FlakyMailer)
    version = await container.bus.handle(SubmitPlaybook("checkout", playbook(clock), AUTHOR))
    await container.bus.drain()
    assert version.version == 1 and mailer.sent == []
    clock.advance(timedelta(minutes=2))
    assert (await run_tick(container.bus, clock.now())).failed == 1  # still refused: backed off
    assert mailer.sent == []
    clock.advance(timedelta(minutes=5))
    await run_tick(container.bus, clock.now())
    assert [(m.to, m.subject) for m in mailer.sent] == [(("bob@contoso.example",), "Playbook checkout v1 to review")]
    clock.advance(timedelta(hours=2))
    assert (await run_tick(container.bus, clock.now())).due == 0


async def test_a_process_stopping_between_the_store_and_the_review_mail_loses_nothing(
        container: Container, clock: FixedClock) -> None:
    """The handler stores the version; the process stops before the bus tells its reactions (they run in the
    background after the answer). The due work the handler wrote before storing tells them, once."""
    mailer = container.mailer
    assert isinstance(mailer, FlakyMailer)
    mailer.failures = 0
    recorded = await submit_handler(SubmitPlaybook("checkout", playbook(clock), AUTHOR), container.bus.dependencies)
    assert recorded.answer.version == 1 and mailer.sent == []  # the reactions never ran
    clock.advance(timedelta(minutes=6))
    await run_tick(container.bus, clock.now())
    assert [m.subject for m in mailer.sent] == ["Playbook checkout v1 to review"]
    clock.advance(timedelta(hours=2))
    await run_tick(container.bus, clock.now())
    assert len(mailer.sent) == 1


async def test_the_sweep_after_reactions_that_ran_sends_nothing_again(container: Container,
                                                                      clock: FixedClock) -> None:
    mailer = container.mailer
    assert isinstance(mailer, FlakyMailer)
    mailer.failures = 0
    await container.bus.handle(SubmitPlaybook("checkout", playbook(clock), AUTHOR))
    await container.bus.drain()
    assert len(mailer.sent) == 1
    clock.advance(timedelta(minutes=6))
    assert (await run_tick(container.bus, clock.now())).acted == 1  # the sweep ran and found it told
    assert len(mailer.sent) == 1
