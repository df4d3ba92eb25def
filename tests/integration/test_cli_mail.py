"""The email path by hand: ``email ingest FILE.eml`` and the Teams health flag, against Azurite."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import unique_prefix
from tests.integration.test_cli import cli
from tests.support.smtp import Inbox, smtp_server

pytestmark = pytest.mark.azurite


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def env(azurite: str, inbox: Inbox) -> dict[str, str]:
    """The CLI's environment: Azurite, and mail to a real SMTP server (answers to senders go there)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    return {**clean, "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix(),
            "DEVOPSBOT_MAIL_TRANSPORT": "smtp", "DEVOPSBOT_MAIL_FROM": "incidents@contoso.example",
            "DEVOPSBOT_SMTP_HOST": "127.0.0.1", "DEVOPSBOT_SMTP_PORT": str(inbox.port)}


def eml(path: Path, sender: str, subject: str, body: str, message_id: str) -> Path:
    path.write_bytes((f"From: {sender}\r\nTo: incidents@contoso.example\r\nSubject: {subject}\r\n"
                      f"Message-ID: {message_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n")
                     .encode())
    return path


def test_ingesting_a_declaration_twice_declares_once(env: dict[str, str], tmp_path: Path) -> None:
    message = eml(tmp_path / "declare.eml", "Duty manager <duty-manager@contoso.example>",
                  "DECLARE SEV2: checkout failing", "Payments time out.", "<d1@contoso.example>")
    first = cli(env, "email", "ingest", str(message))
    assert first.returncode == 0, first.stderr
    outcome = json.loads(first.stdout)
    assert outcome["outcome"] == "declared" and outcome["incident"].startswith("INC-")
    again = cli(env, "email", "ingest", str(message))
    assert json.loads(again.stdout)["outcome"] == "ignored"
    shown = cli(env, "incident", "show", outcome["incident"])
    assert "checkout failing" in shown.stdout and "commander: Duty manager" in shown.stdout


def test_an_unknown_sender_is_not_answered_and_nothing_is_declared(env: dict[str, str], inbox: Inbox,
                                                                   tmp_path: Path) -> None:
    message = eml(tmp_path / "x.eml", "mallory@evil.example", "DECLARE SEV1: everything", "x", "<x1@evil.example>")
    result = cli(env, "email", "ingest", str(message))
    outcome = json.loads(result.stdout)
    # The operator sees why; the (possibly forged) sender hears nothing: no backscatter.
    assert outcome["outcome"] == "unanswered" and "not a known responder" in outcome["reply"]
    assert inbox.messages == []
    assert json.loads(cli(env, "incident", "--json", "list").stdout) == []


def test_a_known_sender_is_answered_when_nothing_was_done(env: dict[str, str], inbox: Inbox, tmp_path: Path) -> None:
    message = eml(tmp_path / "x.eml", "duty-manager@contoso.example", "DECLARE SEV9: everything", "x",
                  "<k1@contoso.example>")
    outcome = json.loads(cli(env, "email", "ingest", str(message)).stdout)
    assert outcome["outcome"] == "answered" and "'SEV9' is not a severity" in outcome["reply"]
    [answer] = inbox.messages
    assert answer.envelope_to == ["duty-manager@contoso.example"]
    assert answer.message["Subject"] == "Re: DECLARE SEV9: everything"
    assert "'SEV9' is not a severity" in answer.part("plain")


def test_a_missing_file_is_one_line_and_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    result = cli(env, "email", "ingest", str(tmp_path / "nope.eml"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "nope.eml" in result.stderr


def test_an_admin_marks_teams_down_and_up(env: dict[str, str]) -> None:
    down = cli(env, "teams", "--as", "Dana Admin <29:dana>", "down", "--reason", "Microsoft incident TM123")
    assert down.returncode == 0, down.stderr
    assert "Teams is down (set by an admin): Microsoft incident TM123 (set by Dana Admin)" in down.stdout
    assert "Teams is down" in cli(env, "teams", "status").stdout
    assert "Teams is up" in cli(env, "teams", "up").stdout


async def test_teams_status_names_service_health_and_its_issue(env: dict[str, str], azurite: str) -> None:
    from devopsbot.bootstrap import Container
    from devopsbot.settings import Settings
    from services.ports import SERVICE_HEALTH, TeamsFlag

    host = Container(Settings(storage_connection_string=azurite, table_prefix=env["DEVOPSBOT_TABLE_PREFIX"]))
    assert host.dependencies.health is not None
    await host.dependencies.health.replace_flag(host.clock.now(), TeamsFlag(
        True, SERVICE_HEALTH, "Microsoft 365 service health issue TM500001 (serviceInterruption)", "TM500001"), "")
    await host.aclose()
    status = cli(env, "teams", "status").stdout
    assert "Teams is down (set by Microsoft 365 service health, issue TM500001): " in status
    assert "set by an admin" not in status


async def test_an_admin_chooses_the_home_team_from_the_cli(env: dict[str, str], azurite: str) -> None:
    from devopsbot.bootstrap import Container
    from devopsbot.settings import Settings
    from services.home_team import remember_team

    seen = Container(Settings(storage_connection_string=azurite, table_prefix=env["DEVOPSBOT_TABLE_PREFIX"]))
    for team in ("team-a", "team-b"):  # the bot was used in two teams; team-a first
        await remember_team(seen.dependencies.conversations, team,
                            {"team_id": team, "team_name": team.upper(), "reference": {}})
    await seen.aclose()
    assert "home team: TEAM-A (team-a), the first team devopsbot was used in" in cli(env, "teams", "home").stdout
    chosen = cli(env, "teams", "--as", "Dana Admin <29:dana>", "home", "--team", "team-b")
    assert chosen.returncode == 0, chosen.stderr
    assert "home team: TEAM-B (team-b), chosen by Dana Admin at " in chosen.stdout
    assert "known team: TEAM-A (team-a)" in chosen.stdout
    unknown = cli(env, "teams", "home", "--team", "team-z")
    assert unknown.returncode == 4 and unknown.stderr.count("\n") == 1
    assert "devopsbot has not been used in team 'team-z'" in unknown.stderr
    assert "TEAM-B (team-b), chosen by Dana Admin" in cli(env, "teams", "home").stdout
