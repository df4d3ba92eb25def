"""A playbook submitted in Teams is mailed to its approvers by a reaction: a failed send is retried, never lost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.errors import NotificationFailed
from incident.people import Person
from incident.policy import OrganisationPolicy
from services.ports import Email
from services.timers import run_tick
from tests.functions.test_teams_playbooks import submit
from tests.support.connector import ConnectorDouble

SUBJECT = "Playbook checkout v1 to review"


class FlakyMailer(RecordingMailer):
    """Refuses the first ``failures`` messages, as an unreachable mail server does."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def send(self, email: Email) -> None:
        if self.failures:
            self.failures -= 1
            raise NotificationFailed("the mail server did not answer (test)")
        await super().send(email)


@pytest.fixture
def mailer() -> FlakyMailer:
    return FlakyMailer(failures=0)


@pytest.fixture
def reviewed(policy: OrganisationPolicy, clock: FixedClock, mailer: FlakyMailer,
             connector: ConnectorDouble) -> Iterator[Container]:
    """Bob approves checkout's playbooks; Alice writes them; both have email addresses."""
    approvers = {"checkout": (Person("29:bob", "Bob Durand", "bob@contoso.example"),
                              Person("29:alice", "Alice Martin", "alice@contoso.example"))}
    container = Container(Settings(storage_connection_string="memory"), in_memory=True, clock=clock, mailer=mailer,
                          policy=replace(policy, playbooks=replace(policy.playbooks, approvers=approvers)))
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


def review_mails(mailer: RecordingMailer) -> list[tuple[str, ...]]:
    return [email.to for email in mailer.sent if email.subject == SUBJECT]


async def test_the_approvers_but_not_the_author_are_mailed_the_submitted_version(
        reviewed: Container, mailer: FlakyMailer) -> None:
    reply = await submit()
    assert reply["attachments"][0]["content"]["body"][0]["text"] == SUBJECT
    assert review_mails(mailer) == [("bob@contoso.example",)]


async def test_a_review_mail_that_failed_is_sent_by_a_later_timer_tick_once(
        reviewed: Container, mailer: FlakyMailer, clock: FixedClock) -> None:
    mailer.failures = 1
    reply = await submit()
    assert reply["attachments"][0]["content"]["body"][0]["text"] == SUBJECT  # the submitter is answered as before
    assert review_mails(mailer) == []
    clock.advance(timedelta(minutes=2))
    await run_tick(reviewed.bus, clock.now())
    assert review_mails(mailer) == [("bob@contoso.example",)]
    clock.advance(timedelta(hours=1))
    await run_tick(reviewed.bus, clock.now())
    assert review_mails(mailer) == [("bob@contoso.example",)]  # retried until sent, then not again
