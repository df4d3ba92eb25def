"""The weekly roster-report timer, called as the Functions host calls it: the admin team is mailed once a week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import ROOT, Settings
from incident.roster import RosterEntry
from tests.conftest import ALICE
from tests.functions.conftest import built_function

MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
ADMINS = 'admin_team = [{ id = "29:ops", name = "Ops admins", email = "ops-admins@contoso.example" }]'


@pytest.fixture
def mailer(tmp_path: Path) -> Iterator[tuple[Container, RecordingMailer]]:
    source = (ROOT / "config" / "organisation.toml").read_text(encoding="utf-8")
    organisation = tmp_path / "organisation.toml"
    organisation.write_text(source.replace("admin_team = []", ADMINS, 1), encoding="utf-8")
    sent = RecordingMailer()
    container = Container(Settings(storage_connection_string="memory", organisation_file=organisation),
                          clock=FixedClock(MONDAY), in_memory=True, notifier=RecordingNotifier(), mailer=sent)
    bootstrap.reset_container(container)
    yield container, sent
    bootstrap.reset_container(None)


async def run_timer() -> None:
    await built_function("roster_report")(SimpleNamespace(past_due=False))


async def test_the_admin_team_gets_the_report_once_a_week(mailer: tuple[Container, RecordingMailer]) -> None:
    container, sent = mailer
    await container.dependencies.roster.put(RosterEntry("*", "commander", ALICE))
    await run_timer()
    await run_timer()  # an overlapping or repeated run in the same week sends nothing more
    [report] = sent.sent
    assert report.to == ("ops-admins@contoso.example",)
    assert report.subject.startswith("Roster check 2026-W49: ") and "single points of failure" in report.subject
    assert "- * / commander: Incident commander hangs on one person (Alice Martin): add a delegate" in report.text
    assert isinstance(container.clock, FixedClock)
    container.clock.at = MONDAY + timedelta(days=7)
    await run_timer()
    assert [m.subject[:21] for m in sent.sent] == ["Roster check 2026-W49", "Roster check 2026-W50"]


async def test_a_french_organisations_admins_get_the_report_in_french(tmp_path: Path) -> None:
    source = (ROOT / "config" / "organisation.toml").read_text(encoding="utf-8")
    organisation = tmp_path / "organisation.toml"
    french = source.replace("admin_team = []", ADMINS, 1).replace('# language = "en"', 'language = "fr"', 1)
    organisation.write_text(french, encoding="utf-8")
    sent = RecordingMailer()
    container = Container(Settings(storage_connection_string="memory", organisation_file=organisation),
                          clock=FixedClock(MONDAY), in_memory=True, notifier=RecordingNotifier(), mailer=sent)
    bootstrap.reset_container(container)
    try:
        await container.dependencies.roster.put(RosterEntry("*", "commander", ALICE))
        await run_timer()
    finally:
        bootstrap.reset_container(None)
    [report] = sent.sent
    assert report.subject.startswith("Vérification des astreintes 2026-W49 : ")
    assert "points de défaillance uniques" in report.subject
    assert "Corrigez-les avec « roster set »" in report.text and '<html lang="fr">' in report.html
    assert "Roster check" not in report.text and "Fix them" not in report.html
