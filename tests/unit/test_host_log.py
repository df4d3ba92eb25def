"""The local host's log also goes to a file (make run: .data/logs/host.log), and Teams' undeclared
channelData fields no longer fill it with warnings nobody can act on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from botbuilder.schema.teams import TeamsChannelData

from bot.endpoint import quiet_teams_channel_data
from devopsbot.cli.host import log_to_file


@pytest.fixture
def root_handlers() -> Iterator[None]:
    root = logging.getLogger()
    before = list(root.handlers)
    yield
    for handler in root.handlers[len(before):]:
        handler.close()
    root.handlers[:] = before


def test_the_hosts_warnings_and_tracebacks_reach_the_log_file(tmp_path: Path, root_handlers: None) -> None:
    path = tmp_path / "logs" / "host.log"
    log_to_file(path)
    try:
        raise RuntimeError("storage went away")
    except RuntimeError:
        logging.getLogger("bot.endpoint").exception("the bot failed on a message activity")
    text = path.read_text(encoding="utf-8")
    assert "ERROR bot.endpoint: the bot failed on a message activity" in text
    assert "Traceback" in text and "RuntimeError: storage went away" in text


def test_teams_channel_data_fields_are_not_warned_about_but_other_unknown_fields_are(
        caplog: pytest.LogCaptureFixture) -> None:
    quiet_teams_channel_data()
    with caplog.at_level(logging.WARNING, logger="msrest.serialization"):
        # What botbuilder does with each Teams activity's channelData (teams_get_channel_data).
        TeamsChannelData(**{"teamsChannelId": "19:abc", "teamsTeamId": "19:def", "somethingNew": "x"})
    warned = [r.getMessage() for r in caplog.records]
    assert not [w for w in warned if "teamsChannelId" in w or "teamsTeamId" in w]
    assert any("somethingNew is not a known attribute" in w for w in warned)
