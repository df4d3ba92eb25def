"""A French declarer's incident mails its stakeholders in French: subject, body and links."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.functions.test_teams_conversation import click, form


@pytest.fixture
async def mailing(clock: FixedClock, policy: OrganisationPolicy) -> AsyncIterator[Container]:
    container = Container(Settings(storage_connection_string="memory"), clock=clock, in_memory=True, policy=policy,
                          mailer=RecordingMailer())
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)
    await container.aclose()


async def test_a_french_declarers_stakeholders_are_mailed_in_french(mailing: Container) -> None:
    await click("declare.submit", form(), locale="fr-FR")
    mailer = mailing.mailer
    assert isinstance(mailer, RecordingMailer)
    [declared] = [m for m in mailer.sent if "partie prenante" in m.text]
    assert declared.subject.endswith("SEV2 déclaré : Checkout failing")
    for part in (declared.text, declared.html):
        assert "Tableau de bord" in part and "Dernier point" in part
        assert "You receive this" not in part and "Latest update" not in part


async def test_an_english_declarers_stakeholders_are_mailed_in_english(mailing: Container) -> None:
    await click("declare.submit", form(), locale="en-GB")
    mailer = mailing.mailer
    assert isinstance(mailer, RecordingMailer)
    [declared] = [m for m in mailer.sent if "as a stakeholder" in m.text]
    assert declared.subject.endswith("SEV2 declared: Checkout failing")
    assert "Tableau de bord" not in declared.text
